package io.dtm.coordinator.core;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnRecord;

/** Proposing a decision for an attempt: a Decide, or for one-phase first a fence. */
final class Decisions {
    private final PhaseTwo phaseTwo;

    Decisions(PhaseTwo phaseTwo) {
        this.phaseTwo = phaseTwo;
    }

    /**
     * Proposes {@code outcome}. Nothing is proposed for an attempt before Begin's result says whose
     * the id is (under a reused tid it may be another request's): until then the Decide waits in
     * {@link Attempt#pendingDecision}. Only an ABORT can be taken that early (a COMMIT needs Begin).
     */
    void decide(Attempt attempt, Outcome outcome, String reason, String kind, Outbox out) {
        attempt.moveTo(AttemptPhase.DECIDING);
        attempt.abortKind = kind;
        TxnRecord decision = out.decision(attempt.attemptId, outcome, reason, attempt.forgotten);
        if (!attempt.beginCommitted) {
            attempt.pendingDecision = decision;
            return;
        }
        out.append(attempt.attemptId, decision);
    }

    /** The transaction cannot commit: decide ABORT, or for one-phase, find out first whether it did. */
    void abortOrFence(Attempt attempt, String reason, String kind, Outbox out) {
        // A one-phase PREPARE goes out only once Begin is in the log (by this leader, or by an earlier
        // one for an attempt recovered from the log): before that, nothing can have committed.
        if (attempt.onePhase && attempt.beginCommitted) {
            phaseTwo.fence(attempt, reason, kind, out);
        } else {
            decide(attempt, Outcome.ABORT, reason, kind, out);
        }
    }
}
