package io.dtm.config;

/**
 * Timeouts, all in milliseconds.
 *
 * @param electionMinMs    lower bound of the Raft election timeout range
 * @param electionMaxMs    upper bound of the Raft election timeout range, greater than the lower
 * @param rpcTimeoutMs     one request from a client or the CLI to a node
 * @param startupTimeoutMs how long {@code dtm cluster start} waits for a leader
 */
public record TimeoutsConfig(long electionMinMs, long electionMaxMs, long rpcTimeoutMs, long startupTimeoutMs) {

    /** The values a configuration file gets for keys it leaves out. */
    public static TimeoutsConfig defaults() {
        return new TimeoutsConfig(600, 1_200, 5_000, 60_000);
    }
}
