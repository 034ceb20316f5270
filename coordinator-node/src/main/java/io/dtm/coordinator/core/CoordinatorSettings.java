package io.dtm.coordinator.core;

/**
 * How the coordinator paces a transaction.
 *
 * @param proposer             who signs decisions in the log, e.g. {@code coordinator:n1}
 * @param prepareAttempts      PREPAREs sent to one participant before giving up on it (the RPC times out each)
 * @param retryBackoffMs       first wait before resending a PREPARE, COMMIT or ROLLBACK, or retrying an append
 * @param retryBackoffMaxMs    the wait doubles up to this
 * @param transactionTimeoutMs default deadline of a transaction, from its arrival
 * @param maxAttempts          default attempts in all when participants answer LOCKED
 * @param lockBackoffMs        first wait before a new attempt after LOCKED (doubles, with jitter)
 * @param maxInFlight          transactions running at once; more are answered OVERLOADED
 * @param resultCacheSize      finished transactions whose result is kept for resubmissions
 * @param requestDigest        the cluster's keyed digest of a request (the same on every node)
 */
public record CoordinatorSettings(String proposer, int prepareAttempts, long retryBackoffMs, long retryBackoffMaxMs,
        long transactionTimeoutMs, int maxAttempts, long lockBackoffMs, int maxInFlight, int resultCacheSize,
        RequestDigest requestDigest) {

    public CoordinatorSettings {
        if (prepareAttempts < 1 || maxAttempts < 1 || maxInFlight < 1 || resultCacheSize < 0) {
            throw new IllegalArgumentException("attempts and bounds must be positive: " + this);
        }
        java.util.Objects.requireNonNull(requestDigest, "requestDigest");
    }
}
