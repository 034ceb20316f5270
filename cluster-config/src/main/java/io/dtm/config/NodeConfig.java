package io.dtm.config;

import java.util.Objects;

/**
 * One coordinator node: its id (also its Raft peer id) and the three ports it listens on.
 *
 * @param id         unique within the cluster, {@code [A-Za-z0-9_-]{1,32}}
 * @param host       host name or IP address the other processes reach this node at
 * @param clientPort Netty port for clients, the CLI and participants
 * @param raftPort   Ratis gRPC port, used between nodes
 * @param adminPort  admin HTTPS port (metrics, health, status; the admin certificate only)
 */
public record NodeConfig(String id, String host, int clientPort, int raftPort, int adminPort) {

    public NodeConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(host, "host");
    }

    /** {@code host:clientPort}, where clients connect. */
    public String clientAddress() {
        return host + ":" + clientPort;
    }

    /** {@code host:raftPort}, the address Ratis peers use. */
    public String raftAddress() {
        return host + ":" + raftPort;
    }

    /** {@code host:adminPort}, the admin HTTPS endpoint (plain HTTP with {@code tls.enabled: false}). */
    public String adminAddress() {
        return host + ":" + adminPort;
    }
}
