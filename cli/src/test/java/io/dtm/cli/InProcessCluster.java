package io.dtm.cli;

import io.dtm.log.TxnLogServer;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.config.ParticipantsConfig;
import io.dtm.config.ServiceName;
import io.dtm.config.TimeoutsConfig;
import io.dtm.coordinator.CoordinatorNode;
import io.dtm.participant.ParticipantServer;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.ParticipantClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;

/**
 * Three coordinator nodes and the four participant services in this JVM, on ephemeral ports, with
 * their data in a test's directory. Any process can be stopped and started again on its data.
 */
final class InProcessCluster implements AutoCloseable {
    final ClusterConfig config;
    final DtmConnections connections;
    private final List<DtmConnections> others = new CopyOnWriteArrayList<>();
    private final Map<String, CoordinatorNode> nodes = new LinkedHashMap<>();
    private final Map<ServiceName, ParticipantServer> services = new EnumMap<>(ServiceName.class);

    InProcessCluster(Path dir, long inDoubtTimeoutMs) {
        this(dir, inDoubtTimeoutMs, ClusterConfig.loadDefault().log().groups());
    }

    /** With the log split into {@code logGroups} groups (of every node each). */
    InProcessCluster(Path dir, long inDoubtTimeoutMs, int logGroups) {
        ClusterConfig built = ClusterConfig.loadDefault().withLogGroups(logGroups, 0).withPorts(FreePorts::next)
                .withDataDir(dir)
                .withTimeouts(new TimeoutsConfig(1_000, 2_000, 10_000, 60_000))
                .withParticipants(new ParticipantsConfig(inDoubtTimeoutMs, ParticipantsConfig.defaults().maxBatch(), false))
                .withTlsDir(dir.resolve("tls"));
        // Written to dir/cluster.yaml and read back, as dtm cluster start does: processes read their
        // configuration file again for a node added since they started.
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("cluster.yaml"), built.toYaml());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.config = ClusterConfig.load(dir.resolve("cluster.yaml"));
        ClusterPki.prepare(config, dir.resolve("ca"));
        this.connections = DtmConnections.of(config, "admin", Duration.ofSeconds(30), "test");
    }

    InProcessCluster startAll() {
        config.nodes().forEach(n -> startNode(n.id()));
        for (ServiceName s : ServiceName.values()) {
            startService(s);
        }
        for (int g = 0; g < config.log().groups(); g++) {
            awaitLeaderOf(g);
        }
        return this;
    }

    void startNode(String id) {
        startNode(id, config);
    }

    /** Starts node {@code id} with {@code nodeConfig} (this cluster's, changed), on the node's data. */
    void startNode(String id, ClusterConfig nodeConfig) {
        startNode(id, nodeConfig, TxnLogServer.Start.NEW_CLUSTER);
    }

    void startNode(String id, ClusterConfig nodeConfig, TxnLogServer.Start start) {
        try {
            nodes.put(id, CoordinatorNode.start(nodeConfig, id, start));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    boolean running(String id) {
        return nodes.containsKey(id);
    }

    void stopNode(String id) {
        CoordinatorNode node = nodes.remove(id);
        if (node != null) {
            node.close();
        }
    }

    void startService(ServiceName service) {
        try {
            services.put(service, ParticipantServer.start(config, service));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stopService(ServiceName service) {
        ParticipantServer server = services.remove(service);
        if (server != null) {
            server.close();
        }
    }

    /** The node that coordinates log group {@code group}, once there is one. */
    String awaitLeaderOf(int group) {
        return await("a coordinating leader of log group " + group).atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> nodes.values().stream().filter(n -> n.isCoordinating(group))
                        .map(CoordinatorNode::nodeId).findFirst().orElse(null), id -> id != null);
    }

    /** The node that coordinates the log group of {@code tid}, once one does. */
    String awaitLeaderOfTid(String tid) {
        return awaitLeaderOf(io.dtm.protocol.LogGroupOfTid.indexOf(tid, config.log().groups()));
    }

    /** A member of {@code tid}'s log group that does not coordinate it. */
    String aFollowerOfTid(String tid) {
        String leader = awaitLeaderOfTid(tid);
        return config.groupMembers(io.dtm.protocol.LogGroupOfTid.indexOf(tid, config.log().groups())).stream()
                .filter(id -> !id.equals(leader) && nodes.containsKey(id)).findFirst().orElseThrow();
    }

    /** The node that leads and coordinates (some log group), once there is one. */
    String awaitLeader() {
        return await("a coordinating leader").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> nodes.values().stream().filter(CoordinatorNode::isCoordinating)
                        .map(CoordinatorNode::nodeId).findFirst().orElse(null), id -> id != null);
    }

    String aFollower() {
        String leader = awaitLeader();
        return nodes.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    NodeClient client(String nodeId) {
        try {
            return connections.connect(config.node(nodeId)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    ParticipantClient participant(ServiceName service) {
        try {
            return connections.connectParticipant(service, config.service(service)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A connection to node {@code nodeId} under another certificate of the cluster (e.g. a service's), closed with the cluster. */
    NodeClient clientAs(String identity, String nodeId) {
        DtmConnections as = DtmConnections.of(config, identity, Duration.ofSeconds(30), "test-" + identity);
        others.add(as);
        try {
            return as.connect(config.node(nodeId)).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The running node, e.g. to append as the leader what a coordinator would have logged. */
    CoordinatorNode coordinator(String nodeId) {
        return nodes.get(nodeId);
    }

    /** The running service, to read what it counted. */
    ParticipantServer service(ServiceName service) {
        return services.get(service);
    }

    NodeStatus status(String nodeId) {
        return ClusterStatusReader.read(config, connections).nodes().stream()
                .filter(n -> n.id().equals(nodeId) && n.reachable()).findFirst().orElseThrow().status();
    }

    NodeConfig node(String id) {
        return config.node(id);
    }

    @Override
    public void close() {
        services.values().forEach(ParticipantServer::close);
        services.clear();
        nodes.values().forEach(CoordinatorNode::close);
        nodes.clear();
        connections.close();
        others.forEach(DtmConnections::close);
    }
}
