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
    /** The log took one of its Begins as this request's (the tid is this request's, not another's). */
    boolean established;
    /** True once the client has its answer. */
    boolean answered;
    /** The answer, once given (a resubmission while phase 2 still runs gets it too). */
    io.dtm.protocol.rpc.SubmitResult result;
    /**
     * Why the tid's earlier outcome is known to be lost (a participant's EARLIER_RUN, or the log's
     * FORGOTTEN), once it is: the answer is then "no longer retained", unless a later attempt's
     * outcome is still in the log.
     */
    String forgottenWhy;

    Txn(String tid, TxnRequest request, long digest, long deadlineMs, int maxAttempts) {
        this.tid = tid;
        this.request = request;
        this.digest = digest;
        this.deadlineMs = deadlineMs;
        this.maxAttempts = maxAttempts;
    }

    /** Digest 0 ("not known", a transaction recovered from an old record) matches anything. */
    static boolean sameDigest(long a, long b) {
        return a == 0 || b == 0 || a == b;
    }
}
