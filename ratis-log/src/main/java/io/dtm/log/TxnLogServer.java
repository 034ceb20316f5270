package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.NodeConfig;
import io.dtm.log.raft.ClockReporter;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftSettings;
import io.dtm.log.raft.TxnStateMachine;
import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.LogStats;
import io.dtm.protocol.rpc.NodeStatus;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The Raft server of one coordinator node, replicating the transaction log with its peers.
 * Formats its storage on first start and recovers from it on every later one (same group id, same
 * directory), so a restarted node rejoins with everything it had. While it runs, it reports the
 * node's clock to the log every few seconds ({@link ClockReporter}): log time needs every
 * member's clock, and followers seal no other batches.
 */
public final class TxnLogServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(TxnLogServer.class);

    private final String nodeId;
    private final RaftServer server;
    private final RaftGroup group;
    private final GroupCommitConfig groupCommit;
    private final LongSupplier clockMs;
    private final ClockReporter clockReporter;
    private final long startedAtMs = System.currentTimeMillis();

    private TxnLogServer(String nodeId, RaftServer server, RaftGroup group, GroupCommitConfig groupCommit,
            LongSupplier clockMs, ClockReporter clockReporter) {
        this.nodeId = nodeId;
        this.server = server;
        this.group = group;
        this.groupCommit = groupCommit;
        this.clockMs = clockMs;
        this.clockReporter = clockReporter;
    }

    /** Builds and starts the server of {@code nodeId}, keeping its Raft storage under {@code storageDir}. */
    public static TxnLogServer start(ClusterConfig config, String nodeId, Path storageDir) throws IOException {
        return start(config, nodeId, storageDir, System::currentTimeMillis);
    }

    /**
     * As {@link #start(ClusterConfig, String, Path)}, with this node's clock given: it stamps the
     * node's batches and its periodic clock reports ({@link ClockReporter}), from which the log
     * derives its time. Tests give a node a skewed clock this way.
     */
    public static TxnLogServer start(ClusterConfig config, String nodeId, Path storageDir, LongSupplier clockMs)
            throws IOException {
        NodeConfig node = config.node(nodeId);
        Files.createDirectories(storageDir);
        RatisMetricsReporting.install();
        LogGroups groups = LogGroups.of(config);
        if (groups.size() != 1) {
            throw new IllegalStateException("a node serves one log group; the cluster has " + groups.size());
        }
        RaftGroup group = groups.group(0);
        List<String> members = config.nodes().stream().map(NodeConfig::id).toList();
        TxnLogState.Retention retention = new TxnLogState.Retention(
                config.log().retention().maxOutcomes(), config.log().retention().maxAgeMs(),
                config.log().retention().maxForgotten());
        RaftServer server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(node.id()))
                .setGroup(group)
                .setStateMachineRegistry(groupId -> new TxnStateMachine(retention, members))
                .setProperties(RaftSettings.server(config, node, storageDir))
                .setParameters(RaftSettings.parameters(config, nodeId))
                // RECOVER formats a missing directory and recovers an existing one.
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        LOG.info("[{}] Raft server started: group {} peers {}, storage {}", nodeId, group.getGroupId(),
                group.getPeers(), storageDir);
        ClockReporter reporter;
        try {
            reporter = ClockReporter.start(config, nodeId, clockMs);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        return new TxnLogServer(nodeId, server, group, config.log().groupCommit(), clockMs, reporter);
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * An appender for the coordinator and in-doubt resolver of {@code term} on this node, the
     * leader: its records are group-committed into entries handed to this node's Raft server
     * directly (no Raft client, no loopback gRPC), each entry stamped with the term. The only way
     * records enter the log ({@link io.dtm.log.raft.AppendAdmission}). Close it when the
     * coordinator steps down.
     *
     * @throws IllegalArgumentException when {@code term} is not positive
     */
    public LogAppender appender(String name, long term) {
        return new LogAppender(new RecordBatcher(name + "-term-" + term + "-appender",
                new LocalEntrySender(server, group.getGroupId()), groupCommit, clockMs, nodeId,
                RecordBatcher.Stamp.leader(term)));
    }

    public RaftServer raftServer() {
        return server;
    }

    public RaftServer.Division division() {
        try {
            return server.getDivision(group.getGroupId());
        } catch (IOException e) {
            throw new UncheckedIOException("[" + nodeId + "] group " + group.getGroupId() + " is not running", e);
        }
    }

    public TxnStateMachine stateMachine() {
        return (TxnStateMachine) division().getStateMachine();
    }

    public boolean isLeader() {
        return division().getInfo().isLeader();
    }

    /** How this node sees itself and the group, read locally (no Raft round). */
    public NodeStatus status() {
        RaftServer.Division division = division();
        DivisionInfo info = division.getInfo();
        RaftLog log = division.getRaftLog();
        LogStats stats = stateMachine().localStats();
        RaftPeerId leader = info.getLeaderId();
        return NodeStatus.newBuilder()
                .setNodeId(nodeId)
                .setRole(info.getCurrentRole().name())
                .setTerm(info.getCurrentTerm())
                .setCommitIndex(log.getLastCommittedIndex())
                .setAppliedIndex(info.getLastAppliedIndex())
                .setLeaderId(leader == null ? "" : leader.toString())
                .setLeaderReady(info.isLeader() && info.isLeaderReady())
                .setInFlight(stats.getInFlight())
                .setRetainedOutcomes(stats.getRetainedOutcomes())
                .setSnapshotIndex(Math.max(0, log.getSnapshotIndex()))
                .setLogStartIndex(Math.max(0, log.getStartIndex()))
                .setUptimeMs(System.currentTimeMillis() - startedAtMs)
                .build();
    }

    @Override
    public void close() throws IOException {
        LOG.info("[{}] Raft server stopping", nodeId);
        clockReporter.close();
        server.close();
    }
}
