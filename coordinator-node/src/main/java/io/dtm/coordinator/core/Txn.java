package io.dtm.coordinator.core;

/** A client's transaction on this leader: its request and its current attempt. */
final class Txn {
    final String tid;
    /** Null for a transaction recovered from the log (its request is not known here). */
    final TxnRequest request;
    final long digest;
    final long deadlineMs;
    final int maxAttempts;
    Attempt current;
    /** True once the client has its answer. */
    boolean answered;
    /** The answer, once given (a resubmission while phase 2 still runs gets it too). */
    io.dtm.protocol.rpc.SubmitResult result;

    Txn(String tid, TxnRequest request, long digest, long deadlineMs, int maxAttempts) {
        this.tid = tid;
        this.request = request;
        this.digest = digest;
        this.deadlineMs = deadlineMs;
        this.maxAttempts = maxAttempts;
    }
}
