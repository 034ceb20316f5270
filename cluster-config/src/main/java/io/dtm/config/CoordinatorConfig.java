package io.dtm.config;

/**
 * How the leader runs the coordinator's side of two-phase commit: timeouts and retries of its
 * messages to the participants, retries of transactions that meet locks, and admission limits.
 *
 * @param prepareTimeoutMs     how long one PREPARE, COMMIT or ROLLBACK waits for its answer
 * @param prepareAttempts      PREPAREs sent to one participant before giving up on it, which aborts
 *                             the transaction
 * @param retryBackoffMs       first wait before resending a message or retrying a log append;
 *                             doubles on each retry
 * @param retryBackoffMaxMs    the longest that wait grows to, at least {@code retryBackoffMs}
 * @param transactionTimeoutMs a transaction's deadline when the client gives none; a transaction
 *                             still undecided then aborts
 * @param maxAttempts          attempts in all at a transaction whose participants answer LOCKED,
 *                             when the client gives no number
 * @param lockBackoffMs        first wait before the next attempt after LOCKED; doubles, with jitter
 * @param maxInFlight          transactions running at once on the leader; more are answered OVERLOADED
 * @param resultCacheSize      finished transactions whose answer the leader keeps for resubmissions;
 *                             0 keeps none
 */
public record CoordinatorConfig(long prepareTimeoutMs, int prepareAttempts, long retryBackoffMs, long retryBackoffMaxMs,
        long transactionTimeoutMs, int maxAttempts, long lockBackoffMs, int maxInFlight, int resultCacheSize) {

    /** The values a configuration file gets for keys it leaves out. */
    public static CoordinatorConfig defaults() {
        return new CoordinatorConfig(2_000, 3, 50, 2_000, 10_000, 5, 20, 10_000, 100_000);
    }
}
