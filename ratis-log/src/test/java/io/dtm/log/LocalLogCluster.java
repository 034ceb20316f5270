package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.LogConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.RetentionConfig;
import io.dtm.config.TimeoutsConfig;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftNodes;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.Identity;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

import static org.awaitility.Awaitility.await;

/**
 * Three real Ratis servers of the transaction log in this JVM, on ephemeral ports, with their
 * storage in a test's temporary directory. Servers can be stopped and started again on the same
 * storage, which is how the tests kill and restart nodes.
 */
final class LocalLogCluster implements AutoCloseable {
    static final Duration ELECTION_DEADLINE = Duration.ofSeconds(30);

    private final ClusterConfig config;
    private final Path caDir;
    private final Map<String, TxnLogServer> running = new LinkedHashMap<>();
    private final List<TxnLogClient> clients = new ArrayList<>();
    /** The appenders {@link #appendAsLeader} made, by node, group and term. */
    private final Map<String, LogAppender> appenders = new HashMap<>();
    /** Each node's clock; the system clock unless a test gave it another. */
    private final Map<String, LongSupplier> clocks = new HashMap<>();

    /**
     * @param snapshotEveryEntries snapshot (and purge) threshold; small values exercise snapshots
     * @param segmentSizeBytes     Raft segment size; small values give many purgeable segments
     */
    LocalLogCluster(Path dir, long snapshotEveryEntries, long segmentSizeBytes) {
        this(dir, snapshotEveryEntries, segmentSizeBytes, GroupCommitConfig.defaults());
    }

    LocalLogCluster(Path dir, long snapshotEveryEntries, long segmentSizeBytes, GroupCommitConfig groupCommit) {
        this(dir, snapshotEveryEntries, segmentSizeBytes, groupCommit, 1);
    }

    /**
     * @param groups the log's groups, each on every node with a different preferred leader; records
     *               go to their tid's group ({@link #appendAsLeader})
     */
    LocalLogCluster(Path dir, long snapshotEveryEntries, long segmentSizeBytes, GroupCommitConfig groupCommit,
            int groups) {
        ClusterConfig base = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir);
        // Generous election timeouts: a 2-core CI box running three servers and the test is starved.
        TimeoutsConfig timeouts = new TimeoutsConfig(1_000, 2_000, 10_000, 60_000);
        // One log group unless asked: most of these tests drive the Raft mechanics of one group (its
        // leader, snapshots, members, transport); MultiGroupLogClusterTest runs them on several.
        LogConfig log = new LogConfig(snapshotEveryEntries, segmentSizeBytes,
                new RetentionConfig(1_000_000, 3_600_000), groupCommit, groups, LogConfig.DEFAULT_REPLICATION);
        this.config = base.withTimeouts(timeouts).withLog(log).withTlsDir(dir.resolve("tls"));
        // Mutual TLS on the Raft transport, as in production: a certificate per node and the operator's for test clients.
        List<Holder> holders = new ArrayList<>();
        for (NodeConfig node : config.nodes()) {
            holders.add(new Holder(node.id(), Identity.node(node.id()), List.of(node.host())));
        }
        holders.add(new Holder("admin", new Identity(Identity.Role.ADMIN, "admin"), List.of()));
        this.caDir = dir.resolve("ca");
        new ClusterCertificates(config.tlsDir(), caDir).create(config.name(), holders, Instant.now(),
                new SecureRandom());
    }

    ClusterConfig config() {
        return config;
    }

    List<String> nodeIds() {
        return config.nodes().stream().map(NodeConfig::id).toList();
    }

    void startAll() {
        nodeIds().forEach(this::start);
    }

    /** Gives a node its own clock (e.g. one running hours ahead), from its next start on. */
    void setClock(String nodeId, LongSupplier clockMs) {
        clocks.put(nodeId, clockMs);
    }

    void start(String nodeId) {
        start(nodeId, config, TxnLogServer.Start.NEW_CLUSTER);
    }

    /** Starts {@code nodeId} with {@code nodeConfig} (this cluster's, changed: e.g. with a node replaced). */
    void start(String nodeId, ClusterConfig nodeConfig, TxnLogServer.Start start) {
        LongSupplier clock = clocks.getOrDefault(nodeId, System::currentTimeMillis);
        try {
            running.put(nodeId, TxnLogServer.start(nodeConfig, nodeId, nodeConfig.nodeDataDir(nodeId), start, clock));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * This cluster's configuration with node {@code replaced} replaced by a new node {@code id} on
     * fresh ports, in the same place (so it is placed in the same groups), with its certificate.
     */
    ClusterConfig withNodeReplaced(String replaced, String id) {
        List<NodeConfig> nodes = new ArrayList<>();
        for (NodeConfig n : config.nodes()) {
            nodes.add(n.id().equals(replaced)
                    ? new NodeConfig(id, n.host(), FreePorts.next(), FreePorts.next(), FreePorts.next()) : n);
        }
        ClusterConfig changed = config.withNodes(nodes);
        new ClusterCertificates(config.tlsDir(), caDir).create(config.name(),
                List.of(new Holder(id, Identity.node(id), List.of(changed.node(id).host()))), Instant.now(),
                new SecureRandom());
        return changed;
    }

    /** The log group of {@code tid}. */
    int groupOf(String tid) {
        return LogGroups.of(config).indexOf(tid);
    }

    /**
     * Appends as the leader's coordinator does (the only way records enter the log): to the record's
     * group, through an appender of the group leader's current term, made anew when leadership moves.
     */
    synchronized CompletableFuture<RecordResult> appendAsLeader(TxnRecord record) {
        int group = groupOf(LogRecords.tidOf(record));
        String leader = readyLeader(group).orElseGet(() -> awaitLeader(group));
        TxnLogServer server = server(leader);
        long term = server.status(group).getTerm();
        return appenders.computeIfAbsent(leader + "@" + group + "@" + term,
                key -> server.appender("test-" + leader, group, term)).append(record);
    }

    /** Stops a server the way a crash would look to its peers: its connections just go away. */
    synchronized void stop(String nodeId) {
        appenders.entrySet().removeIf(e -> {
            if (e.getKey().startsWith(nodeId + "@")) {
                e.getValue().close();
                return true;
            }
            return false;
        });
        TxnLogServer server = running.remove(nodeId);
        if (server == null) {
            throw new IllegalStateException(nodeId + " is not running");
        }
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stopAll() {
        new ArrayList<>(running.keySet()).forEach(this::stop);
    }

    TxnLogServer server(String nodeId) {
        TxnLogServer server = running.get(nodeId);
        if (server == null) {
            throw new IllegalStateException(nodeId + " is not running");
        }
        return server;
    }

    /** Waits for a running node to lead group 0 and be ready (it has applied every earlier entry). */
    String awaitLeader() {
        return awaitLeader(0);
    }

    /** Waits for a running node to lead {@code group} and be ready. */
    String awaitLeader(int group) {
        return await("a ready leader of group " + group + " among " + running.keySet())
                .atMost(ELECTION_DEADLINE)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> readyLeader(group), Optional::isPresent)
                .orElseThrow();
    }

    private Optional<String> readyLeader(int group) {
        return running.values().stream()
                .filter(s -> s.hosts(group) && s.status(group).getLeaderReady())
                .map(TxnLogServer::nodeId)
                .findFirst();
    }

    String aFollower() {
        String leader = awaitLeader();
        return running.keySet().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    TxnLogClient newClient() {
        TxnLogClient client = TxnLogClient.connect(config, "test");
        clients.add(client);
        return client;
    }

    /** A log client of node {@code nodeId}, as its coordinator process has: batches carry its id and clock. */
    TxnLogClient newNodeClient(String nodeId) {
        TxnLogClient client = TxnLogClient.connectAsNode(config, nodeId,
                clocks.getOrDefault(nodeId, System::currentTimeMillis), new RaftNodes(config, nodeId));
        clients.add(client);
        return client;
    }

    @Override
    public void close() {
        for (TxnLogClient client : clients) {
            try {
                client.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        stopAll();
    }
}
