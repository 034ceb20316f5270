package io.dtm.protocol;

/**
 * What one {@link RpcServer} gives its clients, at most, so that a misbehaving or hostile client
 * (thousands of connections, requests it never reads the answers of, a connection left open for
 * ever) costs the server a bounded amount of memory and file descriptors.
 *
 * @param maxConnections           connections open at once; a connection past it is closed as soon
 *                                 as it is accepted (logged and counted)
 * @param maxInFlightPerConnection requests of one connection being served at once; past it the
 *                                 server stops reading that connection until answers have gone out
 *                                 (back-pressure through TCP: nothing is refused or lost)
 * @param idleTimeoutMs            a connection with nothing read, nothing written and nothing in
 *                                 flight for this long is closed; 0 never
 */
public record ServerLimits(int maxConnections, int maxInFlightPerConnection, long idleTimeoutMs) {

    public ServerLimits {
        if (maxConnections < 1 || maxInFlightPerConnection < 1 || idleTimeoutMs < 0) {
            throw new IllegalArgumentException("server limits must be positive (the idle timeout 0 or more): "
                    + maxConnections + ", " + maxInFlightPerConnection + ", " + idleTimeoutMs);
        }
    }

    /**
     * Far above what the cluster itself uses (a client process opens one connection per node, a
     * node one per service, and the coordinator keeps up to 10,000 transactions in flight by default,
     * each with a request on a service connection) and far below what would exhaust a process.
     */
    public static ServerLimits defaults() {
        return new ServerLimits(1_024, 16_384, 600_000);
    }
}
