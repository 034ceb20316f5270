package io.dtm.log;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnStatus;

/** A transaction between its Begin and its End. Mutable only through {@link #decide}, once. */
final class InFlightTxn {
    final String[] participants;
    final long deadlineMs;
    final long requestDigest;
    Outcome outcome = Outcome.UNDECIDED;
    String reason;
    String proposer;

    InFlightTxn(String[] participants, long deadlineMs, long requestDigest) {
        this.participants = participants;
        this.deadlineMs = deadlineMs;
        this.requestDigest = requestDigest;
    }

    void decide(Outcome outcome, String reason, String proposer) {
        if (this.outcome != Outcome.UNDECIDED) {
            throw new IllegalStateException("outcome is write-once: already " + this.outcome + ", not " + outcome);
        }
        this.outcome = outcome;
        this.reason = reason;
        this.proposer = proposer;
    }

    TxnStatus status() {
        return outcome == Outcome.UNDECIDED ? TxnStatus.IN_FLIGHT : TxnStatus.DECIDED;
    }
}
