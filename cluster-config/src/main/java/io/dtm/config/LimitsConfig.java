package io.dtm.config;

/**
 * What one client may take of a server: each node's client port and each service's port. Bounds
 * against misbehaving and hostile clients (thousands of connections, answers never read, a
 * connection left open for ever, a reason of megabytes), far above what the cluster itself uses.
 *
 * @param maxConnections           connections open at once on one port; past it a new one is closed at once
 * @param maxInFlightPerConnection requests of one connection served at once; past it that connection is
 *                                 not read until answers have gone out (back-pressure: nothing refused)
 * @param idleTimeoutMs            a connection with no traffic and nothing in flight this long is closed; 0 never
 * @param maxReasonChars           the reason an in-doubt participant gives with its ABORT proposal (RESOLVE),
 *                                 and its proposer's name, at most; stored on every replica
 */
public record LimitsConfig(int maxConnections, int maxInFlightPerConnection, long idleTimeoutMs, int maxReasonChars) {

    /** The values a configuration file gets for keys it leaves out. */
    public static LimitsConfig defaults() {
        return new LimitsConfig(1_024, 16_384, 600_000, 1_024);
    }
}
