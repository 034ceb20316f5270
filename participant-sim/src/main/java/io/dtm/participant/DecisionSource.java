package io.dtm.participant;

import io.dtm.protocol.log.Outcome;

import java.util.concurrent.CompletableFuture;

/**
 * Where an in-doubt participant learns a transaction's outcome: the replicated log, through any
 * coordinator node it can reach.
 */
public interface DecisionSource {

    /** The logged outcome of an attempt: COMMIT, ABORT, or UNDECIDED when none is logged yet. */
    CompletableFuture<Outcome> outcome(String attemptId);

    /**
     * Proposes ABORT for an attempt; completes with the outcome that stands, which is COMMIT when a
     * coordinator's COMMIT reached the log first (the first decision logged wins).
     */
    CompletableFuture<Outcome> proposeAbort(String attemptId, String reason);
}
