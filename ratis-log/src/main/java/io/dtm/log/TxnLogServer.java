package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.TimeoutsConfig;
import io.dtm.log.raft.ClockReporter;
import io.dtm.log.raft.LeaderBalance;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.LogLayout;
import io.dtm.log.raft.RaftSettings;
import io.dtm.log.raft.TxnStateMachine;
import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.LogStats;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.LogDump;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.NodeStatus;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
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
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The Raft server of one coordinator node: one Ratis server hosting a division of every log group
 * the node is a member of ({@link LogGroups}), each with its own state machine, snapshots,
 * retention and leader. Formats a group's storage on first start and recovers it on every later one
 * (same group ids, same directory), so a restarted node rejoins every group with everything it had;
 * a node whose data was laid out with another group count or replication refuses to start
 * ({@link LogLayout}). While it runs, it reports the node's clock to each of its groups every few
 * seconds ({@link ClockReporter}): a group's log time needs every member's clock, and followers seal
 * no other batches.
 */
public final class TxnLogServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(TxnLogServer.class);

    private final String nodeId;
    private final RaftServer server;
    private final LogGroups groups;
    /** The groups this node is a member of, ascending. */
    private final List<Integer> hosted;
    private final GroupCommitConfig groupCommit;
    private final LongSupplier clockMs;
    private final ClockReporter clockReporter;
    private final long startedAtMs = System.currentTimeMillis();
    /** Hands groups back to their preferred leaders ({@link LeaderBalance}); one look every {@link #BALANCE_EVERY_MS}. */
    private final ScheduledExecutorService balancer;
    private final LeaderBalance balance;
    private final long transferTimeoutMs;
    private final ClientId balancerId = ClientId.randomId();
    private final AtomicLong balancerCalls = new AtomicLong();

    /** How often a leader looks whether a group it leads should go back to its preferred leader. */
    static final long BALANCE_EVERY_MS = 2_000;
    /** A returning preferred leader may be this many entries behind the commit index when it gets its group back. */
    static final long BALANCE_MAX_LAG = 256;

    private TxnLogServer(String nodeId, RaftServer server, LogGroups groups, List<Integer> hosted,
            GroupCommitConfig groupCommit, LongSupplier clockMs, ClockReporter clockReporter, TimeoutsConfig timeouts) {
        this.nodeId = nodeId;
        this.server = server;
        this.groups = groups;
        this.hosted = List.copyOf(hosted);
        this.groupCommit = groupCommit;
        this.clockMs = clockMs;
        this.clockReporter = clockReporter;
        this.balance = new LeaderBalance(timeouts.electionMinMs(), BALANCE_MAX_LAG,
                Math.max(5_000, 3 * timeouts.electionMaxMs()));
        this.transferTimeoutMs = 2 * timeouts.electionMaxMs();
        this.balancer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, nodeId + "-leader-balance");
            t.setDaemon(true);
            return t;
        });
        if (groups.size() > 1) {
            balancer.scheduleWithFixedDelay(this::balance, BALANCE_EVERY_MS, BALANCE_EVERY_MS, TimeUnit.MILLISECONDS);
        }
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
        LogLayout.checkOrCreate(config, nodeId, storageDir);
        RatisMetricsReporting.install();
        LogGroups groups = LogGroups.of(config);
        List<Integer> hosted = config.groupsOf(nodeId);
        TxnLogState.Retention retention = new TxnLogState.Retention(
                config.log().retention().maxOutcomes(), config.log().retention().maxAgeMs(),
                config.log().retention().maxForgotten());
        RaftServer server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(node.id()))
                .setStateMachineRegistry(groupId -> new TxnStateMachine(retention,
                        config.groupMembers(knownGroup(groups, groupId, nodeId))))
                .setProperties(RaftSettings.server(config, node, storageDir))
                .setParameters(RaftSettings.parameters(config, nodeId))
                // RECOVER recovers every group found in the storage directory; the others are added below.
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        ClockReporter reporter = null;
        try {
            server.start();
            for (int g : hosted) {
                RaftGroup group = groups.group(g);
                boolean recovered = contains(server.getGroupIds(), group.getGroupId());
                if (!recovered) {
                    addGroup(server, group);
                }
                LOG.info("[{}] log group {} ({}): peers {}, {}", nodeId, g, group.getGroupId(), group.getPeers(),
                        recovered ? "recovered from " + storageDir : "new, in " + storageDir);
            }
            reporter = ClockReporter.start(config, nodeId, clockMs);
            return new TxnLogServer(nodeId, server, groups, hosted, config.log().groupCommit(), clockMs, reporter,
                    config.timeouts());
        } catch (IOException | RuntimeException e) {
            if (reporter != null) {
                reporter.close();
            }
            server.close();
            throw e;
        }
    }

    private static int knownGroup(LogGroups groups, RaftGroupId groupId, String nodeId) {
        int index = groups.indexOf(groupId);
        if (index < 0) {
            // LogLayout refuses data of another layout first; this is a directory nobody should have put there.
            throw new IllegalStateException("[" + nodeId + "] the Raft storage holds group " + groupId
                    + ", which is not one of the cluster's log groups");
        }
        return index;
    }

    private static boolean contains(Iterable<RaftGroupId> ids, RaftGroupId id) {
        for (RaftGroupId each : ids) {
            if (each.equals(id)) {
                return true;
            }
        }
        return false;
    }

    /** Formats and starts this node's division of a group it has no storage for yet. */
    private static void addGroup(RaftServer server, RaftGroup group) throws IOException {
        RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(), server.getId(),
                0, group, true));
        if (!reply.isSuccess()) {
            throw new IOException("cannot add log group " + group.getGroupId() + " to " + server.getId() + ": "
                    + reply.getException(), reply.getException());
        }
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * For each group this node leads but is not the preferred leader of: hands it back with Ratis's
     * leadership transfer when {@link LeaderBalance} says the preferred member is back.
     */
    private void balance() {
        for (int g : hosted) {
            try {
                balance(g);
            } catch (IOException | RuntimeException e) {
                LOG.warn("[{}] could not look at the leadership of log group {}: {}", nodeId, g, e.toString());
            }
        }
    }

    private void balance(int group) throws IOException {
        RaftServer.Division division = division(group);
        DivisionInfo info = division.getInfo();
        String preferred = groups.group(group).getPeers().stream().filter(p -> p.getPriority() > 0)
                .map(p -> p.getId().toString()).findFirst().orElse(nodeId);
        if (!info.isLeader() || !info.isLeaderReady() || preferred.equals(nodeId)) {
            return;
        }
        RoleInfoProto role = info.getRoleInfoProto();
        List<ServerRpcProto> followers = role.getLeaderInfo().getFollowerInfoList();
        long[] matchIndices = info.getFollowerMatchIndices();
        long silenceMs = -1;
        long matchIndex = -1;
        if (followers.size() == matchIndices.length) { // both in the order of the leader's log appenders
            for (int i = 0; i < followers.size(); i++) {
                if (followers.get(i).getId().getId().toStringUtf8().equals(preferred)) {
                    silenceMs = followers.get(i).getLastRpcElapsedTimeMs();
                    matchIndex = matchIndices[i];
                }
            }
        }
        long commitIndex = division.getRaftLog().getLastCommittedIndex();
        if (!balance.handBack(nodeId, preferred, silenceMs, matchIndex, commitIndex, role.getRoleElapsedTimeMs())) {
            return;
        }
        LOG.info("[{}] handing log group {} back to its preferred leader {} (it answers, {} entries behind)", nodeId,
                group, preferred, commitIndex - matchIndex);
        server.transferLeadershipAsync(new TransferLeadershipRequest(balancerId, server.getId(),
                        groups.group(group).getGroupId(), balancerCalls.incrementAndGet(), RaftPeerId.valueOf(preferred),
                        transferTimeoutMs))
                .whenComplete((reply, error) -> {
                    if (error != null || !reply.isSuccess()) {
                        LOG.info("[{}] log group {} stays here for now: the transfer to {} did not complete ({})", nodeId,
                                group, preferred, error != null ? error.toString() : reply.getException());
                    }
                });
    }

    /** The cluster's log groups (all of them, not only this node's). */
    public LogGroups groups() {
        return groups;
    }

    /** The groups this node is a member of, ascending. */
    public List<Integer> hostedGroups() {
        return hosted;
    }

    /** Whether this node is a member of group {@code group}. */
    public boolean hosts(int group) {
        return hosted.contains(group);
    }

    /**
     * An appender for the coordinator and in-doubt resolver of {@code term} of group {@code group} on
     * this node, the group's leader: its records are group-committed into entries handed to this
     * node's Raft server directly (no Raft client, no loopback gRPC), each entry stamped with the
     * term. The only way records enter the log ({@link io.dtm.log.raft.AppendAdmission}). Close it when
     * the coordinator steps down.
     *
     * @throws IllegalArgumentException when {@code term} is not positive or this node is not in {@code group}
     */
    public LogAppender appender(String name, int group, long term) {
        checkHosted(group);
        return new LogAppender(new RecordBatcher(name + "-g" + group + "-term-" + term + "-appender",
                new LocalEntrySender(server, groups.group(group).getGroupId()), groupCommit, clockMs, nodeId,
                RecordBatcher.Stamp.leader(term)));
    }

    public RaftServer raftServer() {
        return server;
    }

    public RaftServer.Division division(int group) {
        checkHosted(group);
        RaftGroupId id = groups.group(group).getGroupId();
        try {
            return server.getDivision(id);
        } catch (IOException e) {
            throw new UncheckedIOException("[" + nodeId + "] log group " + group + " (" + id + ") is not running", e);
        }
    }

    public TxnStateMachine stateMachine(int group) {
        return (TxnStateMachine) division(group).getStateMachine();
    }

    public boolean isLeader(int group) {
        return division(group).getInfo().isLeader();
    }

    private void checkHosted(int group) {
        if (!hosted.contains(group)) {
            throw new IllegalArgumentException("[" + nodeId + "] is not a member of log group " + group + " (its groups: "
                    + hosted + ")");
        }
    }

    /** How this node sees one of its groups, read locally (no Raft round). */
    public GroupStatus status(int group) {
        RaftServer.Division division = division(group);
        DivisionInfo info = division.getInfo();
        RaftLog log = division.getRaftLog();
        LogStats stats = ((TxnStateMachine) division.getStateMachine()).localStats();
        RaftPeerId leader = info.getLeaderId();
        GroupStatus.Builder out = GroupStatus.newBuilder()
                .setGroup(group)
                .setRole(info.getCurrentRole().name())
                .setTerm(info.getCurrentTerm())
                .setCommitIndex(log.getLastCommittedIndex())
                .setAppliedIndex(info.getLastAppliedIndex())
                .setLeaderId(leader == null ? "" : leader.toString())
                .setLeaderReady(info.isLeader() && info.isLeaderReady())
                .setInFlight(stats.getInFlight())
                .setRetainedOutcomes(stats.getRetainedOutcomes())
                .setSnapshotIndex(Math.max(0, log.getSnapshotIndex()))
                .setLogStartIndex(Math.max(0, log.getStartIndex()));
        groups.group(group).getPeers().forEach(p -> out.addMembers(p.getId().toString()));
        return out.build();
    }

    /**
     * How this node sees itself and its groups, read locally (no Raft round): every group in
     * {@code groups}, and the first one's Raft fields at the top level as well.
     */
    public NodeStatus status() {
        NodeStatus.Builder out = NodeStatus.newBuilder().setNodeId(nodeId)
                .setUptimeMs(System.currentTimeMillis() - startedAtMs);
        for (int g : hosted) {
            out.addGroups(status(g));
        }
        if (!hosted.isEmpty()) {
            GroupStatus first = out.getGroups(0);
            out.setRole(first.getRole()).setTerm(first.getTerm()).setCommitIndex(first.getCommitIndex())
                    .setAppliedIndex(first.getAppliedIndex()).setLeaderId(first.getLeaderId())
                    .setLeaderReady(first.getLeaderReady()).setInFlight(first.getInFlight())
                    .setRetainedOutcomes(first.getRetainedOutcomes()).setSnapshotIndex(first.getSnapshotIndex())
                    .setLogStartIndex(first.getLogStartIndex());
        }
        return out.build();
    }

    /**
     * A page of the transactions of every group on this node, in attempt-id order: the first
     * {@code limit} after {@code after} of all groups' pages together. {@code appliedIndex} is the
     * sum of the groups' applied indexes (it grows whenever any group applies).
     */
    public LogDump localPage(String after, int limit) {
        List<LogDump> pages = new ArrayList<>();
        for (int g : hosted) {
            pages.add(stateMachine(g).localPage(after, limit));
        }
        return mergePages(pages, limit);
    }

    static LogDump mergePages(List<LogDump> pages, int limit) {
        List<TxnState> all = new ArrayList<>();
        boolean more = false;
        long applied = 0;
        for (LogDump page : pages) {
            all.addAll(page.getStatesList());
            more |= !page.getNext().isEmpty();
            applied += page.getAppliedIndex();
        }
        all.sort(Comparator.comparing(TxnState::getAttemptId));
        List<TxnState> taken = all.subList(0, Math.min(limit, all.size()));
        // A group's page stops at limit; past the merged page's last id, something may follow.
        boolean last = !more && all.size() <= limit;
        return LogDump.newBuilder().addAllStates(taken)
                .setNext(last || taken.isEmpty() ? "" : taken.get(taken.size() - 1).getAttemptId())
                .setAppliedIndex(applied).build();
    }

    @Override
    public void close() throws IOException {
        LOG.info("[{}] Raft server stopping", nodeId);
        balancer.shutdownNow();
        clockReporter.close();
        server.close();
    }
}
