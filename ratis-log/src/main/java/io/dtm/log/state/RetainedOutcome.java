package io.dtm.log.state;

import io.dtm.protocol.log.Outcome;

/**
 * What the log keeps of an ended transaction for the retention window: enough to answer a late
 * query or an idempotent client retry, nothing more.
 *
 * @param endedAtMs     log time of the End (or of the participant's ABORT when no Begin was logged)
 * @param requestDigest the Begin's digest of the client request (0 when none was given)
 * @param superseded    a later attempt of the tid began: this outcome is not the tid's
 */
record RetainedOutcome(Outcome outcome, String reason, String proposer, long endedAtMs, long requestDigest,
        boolean superseded) {

    RetainedOutcome withDigest(long digest) {
        return new RetainedOutcome(outcome, reason, proposer, endedAtMs, digest, superseded);
    }

    RetainedOutcome endedAt(long logTimeMs) {
        return new RetainedOutcome(outcome, reason, proposer, logTimeMs, requestDigest, superseded);
    }

    RetainedOutcome asSuperseded() {
        return superseded ? this : new RetainedOutcome(outcome, reason, proposer, endedAtMs, requestDigest, true);
    }
}
