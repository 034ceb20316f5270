package io.dtm.log.state;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnStatus;

/** A transaction between its Begin and its End. Mutable only through {@link #decide}, once. */
final class InFlightTxn {
    final String[] participants;
    final long deadlineMs;
    final long requestDigest;
    /** Begin.run_id: which run of the attempt id this is (0: not known). */
    final long runId;
    Outcome outcome = Outcome.UNDECIDED;
    String reason;
    String proposer;
    /** The ABORT only undoes a re-run of a forgotten attempt (Decide.forgotten): it ends FORGOTTEN. */
    boolean forgotten;
    /** A later attempt of the tid began (see {@link RetainedOutcome#superseded}). */
    boolean superseded;

    InFlightTxn(String[] participants, long deadlineMs, long requestDigest, long runId) {
        this.participants = participants;
        this.deadlineMs = deadlineMs;
        this.requestDigest = requestDigest;
        this.runId = runId;
    }

    void decide(Outcome outcome, String reason, String proposer, boolean forgotten) {
        if (this.outcome != Outcome.UNDECIDED) {
            throw new IllegalStateException("outcome is write-once: already " + this.outcome + ", not " + outcome);
        }
        if (forgotten && outcome != Outcome.ABORT) {
            throw new IllegalArgumentException("only an ABORT undoes a re-run of a forgotten attempt, not " + outcome);
        }
        this.outcome = outcome;
        this.reason = reason;
        this.proposer = proposer;
        this.forgotten = forgotten;
    }

    /**
     * Marks a standing ABORT as one that only undid a re-run of a forgotten attempt: the outcome
     * does not change (it is write-once), only what readers may conclude from it.
     */
    void markForgotten() {
        if (outcome != Outcome.ABORT) {
            throw new IllegalStateException("only an ABORT can be marked forgotten, not " + outcome);
        }
        forgotten = true;
    }

    TxnStatus status() {
        return outcome == Outcome.UNDECIDED ? TxnStatus.IN_FLIGHT : TxnStatus.DECIDED;
    }
}
