package io.dtm.participant;

import io.dtm.protocol.log.TxnState;

import java.util.concurrent.CompletableFuture;

/**
 * Where an in-doubt participant learns a transaction's outcome: the replicated log, through any
 * coordinator node it can reach.
 */
public interface DecisionSource {

    /** An attempt as logged: its outcome (UNDECIDED when none is logged yet), participants and request digest. */
    CompletableFuture<TxnState> state(String attemptId);

    /**
     * Proposes ABORT for an attempt; completes with the attempt's state after it, whose outcome is
     * COMMIT when a coordinator's COMMIT reached the log first (the first decision logged wins).
     */
    CompletableFuture<TxnState> proposeAbort(String attemptId, String reason);
}
