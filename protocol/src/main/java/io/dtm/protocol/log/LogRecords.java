package io.dtm.protocol.log;

import java.util.List;

/** Builders for the three log records, so callers need not spell out the protobuf envelope. */
public final class LogRecords {
    private LogRecords() {
    }

    public static TxnRecord begin(String tid, List<String> participants, long deadlineMs) {
        return begin(tid, participants, deadlineMs, 0);
    }

    /** A Begin that carries a digest of the client's request, so that a reused tid is recognised. */
    public static TxnRecord begin(String tid, List<String> participants, long deadlineMs, long requestDigest) {
        return begin(tid, participants, deadlineMs, requestDigest, 0);
    }

    /** A coordinator's Begin: with the digest, and the run id its PREPAREs carry. */
    public static TxnRecord begin(String tid, List<String> participants, long deadlineMs, long requestDigest,
            long runId) {
        return TxnRecord.newBuilder()
                .setBegin(Begin.newBuilder().setAttemptId(tid).addAllParticipants(participants).setDeadlineMs(deadlineMs)
                        .setRequestDigest(requestDigest).setRunId(runId))
                .build();
    }

    public static TxnRecord decide(String tid, Outcome outcome, String reason, String proposer) {
        return decide(tid, outcome, reason, proposer, false);
    }

    /** {@code forgotten}: an ABORT that only undoes a re-run of a forgotten attempt (Decide.forgotten). */
    public static TxnRecord decide(String tid, Outcome outcome, String reason, String proposer, boolean forgotten) {
        return TxnRecord.newBuilder()
                .setDecide(Decide.newBuilder().setAttemptId(tid).setOutcome(outcome).setReason(reason).setProposer(proposer)
                        .setForgotten(forgotten))
                .build();
    }

    public static TxnRecord end(String tid) {
        return TxnRecord.newBuilder().setEnd(End.newBuilder().setAttemptId(tid)).build();
    }

    /** The tid a record is about; routing and batching key on it. */
    public static String tidOf(TxnRecord record) {
        return switch (record.getRecordCase()) {
            case BEGIN -> record.getBegin().getAttemptId();
            case DECIDE -> record.getDecide().getAttemptId();
            case END -> record.getEnd().getAttemptId();
            case RECORD_NOT_SET -> "";
        };
    }
}
