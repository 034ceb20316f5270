package io.dtm.log.state;

import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnStatus;

/** How {@link TxnLogState} answers a record: the {@link RecordResult} for each kind of state it finds. */
final class RecordResults {

    private RecordResults() {
    }

    /** A record that contradicts the table (or is malformed); nothing changed. */
    static RecordResult refused(String detail) {
        return RecordResult.newBuilder()
                .setDisposition(Disposition.REFUSED)
                .setStatus(TxnStatus.UNKNOWN)
                .setDetail(detail)
                .build();
    }

    /** A record about an attempt in flight (decided or not). */
    static RecordResult of(Disposition disposition, InFlightTxn txn, String detail) {
        RecordResult.Builder r = RecordResult.newBuilder()
                .setDisposition(disposition)
                .setStatus(txn.status())
                .setOutcome(txn.outcome)
                .setDetail(detail)
                .setRunId(txn.runId)
                .setForgotten(txn.forgotten)
                .setLastAttempt(!txn.superseded);
        if (txn.reason != null) {
            r.setReason(txn.reason);
        }
        return r.build();
    }

    /** A record about an attempt that ended and whose outcome is retained. */
    static RecordResult of(Disposition disposition, RetainedOutcome ended, String detail) {
        return RecordResult.newBuilder()
                .setDisposition(disposition)
                .setStatus(TxnStatus.ENDED)
                .setOutcome(ended.outcome())
                .setReason(ended.reason())
                .setDetail(detail)
                .setLastAttempt(!ended.superseded())
                .build();
    }

    /** A record about an attempt whose outcome is no longer retained; {@code reason} says so. */
    static RecordResult forgotten(Disposition disposition, String reason) {
        return RecordResult.newBuilder()
                .setDisposition(disposition)
                .setStatus(TxnStatus.FORGOTTEN)
                .setDetail(reason)
                .setReason(reason)
                .build();
    }

    /** A record that ended a re-run of a forgotten attempt (or marked its ABORT): it ends FORGOTTEN. */
    static RecordResult forgottenAbort(String reason) {
        return forgotten(Disposition.APPLIED, reason).toBuilder()
                .setOutcome(Outcome.ABORT)
                .setForgotten(true)
                .build();
    }
}
