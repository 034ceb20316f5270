package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.TimeoutsConfig;
import io.dtm.log.raft.ClockReporter;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.LogLayout;
import io.dtm.log.raft.RaftNodes;
import io.dtm.log.raft.RaftSettings;
import io.dtm.log.raft.TxnStateMachine;
import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.LogStats;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.LogDump;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.NodeStatus;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
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
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;

/**
 * The Raft server of one coordinator node: one Ratis server hosting a division of every log group
 * the node is a member of ({@link LogGroups}), each with its own state machine, snapshots,
 * retention and leader. Formats a group's storage on first start and recovers it on every later one
 * (same group ids, same directory), so a restarted node rejoins every group with everything it had;
 * a node whose data was laid out with another group count refuses to start
 * ({@link LogLayout}). While it runs, it reports the node's clock to each of its groups every few
 * seconds ({@link ClockReporter}): a group's log time needs every member's clock, and followers seal
 * no other batches.
 */
public final class TxnLogServer implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(TxnLogServer.class);

    private final String nodeId;
    private final ClusterConfig config;
    /** The node ids this node's Raft transport takes; they grow with the groups' members. */
    private final RaftNodes raftNodes;
    /** Makes the leadership listener of each group's state machine, once the node has set it. */
    private final AtomicReference<IntFunction<LeadershipListener>> listeners;
    private final RaftServer server;
    private final LogGroups groups;
    private final GroupCommitConfig groupCommit;
    private final LongSupplier clockMs;
    private final ClockReporter clockReporter;
    private final long startedAtMs = System.currentTimeMillis();
    /** Hands groups back to their preferred leaders. */
    private final LeaderBalancer balancer;
    /** Changes groups' members. */
    private final GroupMembership membership;

    private TxnLogServer(String nodeId, ClusterConfig config, RaftNodes raftNodes,
            AtomicReference<IntFunction<LeadershipListener>> listeners, RaftServer server, LogGroups groups,
            GroupCommitConfig groupCommit, LongSupplier clockMs, TimeoutsConfig timeouts) {
        this.nodeId = nodeId;
        this.config = config;
        this.raftNodes = raftNodes;
        this.listeners = listeners;
        this.server = server;
        this.groups = groups;
        this.groupCommit = groupCommit;
        this.clockMs = clockMs;
        this.clockReporter = ClockReporter.start(config, nodeId, clockMs, this::hostedGroups, raftNodes);
        this.balancer = new LeaderBalancer(this, timeouts);
        this.membership = new GroupMembership(this);
    }

    /**
     * How a node starts when its Raft storage is blank (no log of any group: a new node, or one
     * whose disk was lost). A node with a log always restarts from it, whatever the mode.
     */
    public enum Start {
        /**
         * A node of a running cluster: a blank storage is refused. A node that lost its disk must not
         * come back as an empty voter: with one other member behind, the two could elect a leader
         * without entries a majority had committed, and answers already given would be contradicted.
         */
        RESTART,
        /** The first start of a new cluster: a blank storage gets the node's groups, as the configuration places them. */
        NEW_CLUSTER,
        /**
         * A node added to a running cluster (a new one, a replacement, or one re-added after losing its
         * disk): a blank storage gets a division of each group the configuration places on the node,
         * with no members. It takes no part in elections until the group's leader adds it to the
         * group's configuration ({@link #changeMembers}), and then catches up from the leader.
         */
        JOIN
    }

    /** Restarts the server of {@code nodeId} from its Raft storage under {@code storageDir} ({@link Start#RESTART}). */
    public static TxnLogServer start(ClusterConfig config, String nodeId, Path storageDir) throws IOException {
        return start(config, nodeId, storageDir, Start.RESTART, System::currentTimeMillis);
    }

    /**
     * Builds and starts the server of {@code nodeId}, keeping its Raft storage under {@code
     * storageDir}, with this node's clock given: it stamps the node's batches and its periodic clock
     * reports ({@link ClockReporter}), from which the log derives its time. Tests give a node a
     * skewed clock this way.
     *
     * @throws IllegalStateException when the storage is blank and {@code start} is {@link Start#RESTART},
     *         or holds a log of another layout ({@link LogLayout})
     */
    public static TxnLogServer start(ClusterConfig config, String nodeId, Path storageDir, Start start,
            LongSupplier clockMs) throws IOException {
        NodeConfig node = config.node(nodeId);
        Files.createDirectories(storageDir);
        boolean blank = LogLayout.isBlank(storageDir);
        if (blank && start == Start.RESTART) {
            throw new IllegalStateException("[" + nodeId + "] this node has no log in " + storageDir + ". If this is the"
                    + " first start of a new cluster, start its nodes with --new-cluster (./dtm cluster start does so"
                    + " for a new directory). If the node lost its disk, it must not rejoin as an empty voter: replace"
                    + " it (./dtm cluster replace-node " + nodeId + " NEW_ID) or re-add it (./dtm cluster replace-node "
                    + nodeId + " " + nodeId + "), which starts it with --join");
        }
        LogLayout.checkOrCreate(config, nodeId, storageDir);
        RatisMetricsReporting.install();
        LogGroups groups = LogGroups.of(config);
        TxnLogState.Retention retention = new TxnLogState.Retention(
                config.log().retention().maxOutcomes(), config.log().retention().maxAgeMs(),
                config.log().retention().maxForgotten());
        RaftNodes raftNodes = new RaftNodes(config, nodeId);
        AtomicReference<IntFunction<LeadershipListener>> listeners = new AtomicReference<>();
        RaftServer server = RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(node.id()))
                .setStateMachineRegistry(groupId -> {
                    int g = knownGroup(groups, groupId, nodeId);
                    TxnStateMachine machine = new TxnStateMachine(retention, config.groupMembers(g),
                            ids -> raftNodes.admit(ids, "a member of log group " + g));
                    // A group joined while the node runs hears leadership like the others.
                    IntFunction<LeadershipListener> listener = listeners.get();
                    if (listener != null) {
                        machine.setLeadershipListener(listener.apply(g));
                    }
                    return machine;
                })
                .setProperties(RaftSettings.server(config, node, storageDir))
                .setParameters(RaftSettings.parameters(config, nodeId, raftNodes))
                // RECOVER recovers every group found in the storage directory; the others are added below.
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        try {
            server.start();
            List<Integer> hosted = new ArrayList<>();
            for (RaftGroupId id : server.getGroupIds()) {
                hosted.add(knownGroup(groups, id, nodeId));
            }
            if (blank) {
                for (int g : config.groupsOf(nodeId)) {
                    RaftGroup group = start == Start.JOIN ? RaftGroup.valueOf(groups.group(g).getGroupId())
                            : groups.group(g);
                    // A joining node's copy may have come already, from a leader adding it.
                    if (!contains(server.getGroupIds(), group.getGroupId())) {
                        addGroup(server, group);
                    }
                    if (!hosted.contains(g)) {
                        hosted.add(g);
                    }
                }
            }
            hosted.sort(null);
            for (int g : hosted) {
                raftNodes.admit(server.getDivision(groups.group(g).getGroupId()).getRaftConf().getAllPeers().stream()
                        .map(p -> p.getId().toString()).toList(), "a member of log group " + g);
                LOG.info("[{}] log group {} ({}): members {}, {}", nodeId, g, groups.group(g).getGroupId(),
                        server.getDivision(groups.group(g).getGroupId()).getRaftConf().getCurrentPeers(),
                        !blank ? "recovered from " + storageDir : start == Start.JOIN
                                ? "joining: waits in " + storageDir + " until its leader adds this node"
                                : "new, in " + storageDir);
            }
            return new TxnLogServer(nodeId, config, raftNodes, listeners, server, groups, config.log().groupCommit(),
                    clockMs, config.timeouts());
        } catch (IOException | RuntimeException e) {
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
        RaftClientReply reply;
        try {
            reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(), server.getId(), 0, group,
                    true));
        } catch (AlreadyExistsException e) {
            return; // a leader added it a moment ago
        }
        if (!reply.isSuccess()) {
            throw new IOException("cannot add log group " + group.getGroupId() + " to " + server.getId() + ": "
                    + reply.getException(), reply.getException());
        }
    }

    public String nodeId() {
        return nodeId;
    }

    /**
     * Who hears about the leadership of each group this node holds ({@code listener} of the
     * group's index): the groups it holds now and those it joins later.
     */
    public void setLeadershipListeners(IntFunction<LeadershipListener> listener) {
        listeners.set(listener);
        for (int g : hostedGroups()) {
            stateMachine(g).setLeadershipListener(listener.apply(g));
        }
    }

    /** Who hears about the leadership of {@code group}, once set. */
    Optional<LeadershipListener> leadershipListener(int group) {
        IntFunction<LeadershipListener> listener = listeners.get();
        return listener == null ? Optional.empty() : Optional.of(listener.apply(group));
    }

    /** The node ids this node's Raft transport takes (for this node's Raft clients). */
    public RaftNodes raftNodes() {
        return raftNodes;
    }

    /** The cluster's log groups (all of them, not only this node's). */
    public LogGroups groups() {
        return groups;
    }

    /**
     * The groups this node holds a copy of, ascending: those it was placed in or joined, less those
     * it left ({@link #changeMembers} drops the copies of the members it takes out).
     */
    public List<Integer> hostedGroups() {
        List<Integer> out = new ArrayList<>();
        for (RaftGroupId id : server.getGroupIds()) {
            int g = groups.indexOf(id);
            if (g >= 0) {
                out.add(g);
            }
        }
        out.sort(null);
        return out;
    }

    /** Whether this node is a member of group {@code group}. */
    public boolean hosts(int group) {
        return group >= 0 && group < groups.size() && contains(server.getGroupIds(), groups.group(group).getGroupId());
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

    /**
     * Entries this node's replicas applied out of log order, every group it holds together
     * ({@link TxnStateMachine#outOfOrderApplies}): must stay 0. A group that leaves while this is
     * read is skipped.
     */
    public long outOfOrderApplies() {
        long sum = 0;
        for (int g : hostedGroups()) {
            try {
                sum += stateMachine(g).outOfOrderApplies();
            } catch (UncheckedIOException e) {
                // left since hostedGroups() was read
            }
        }
        return sum;
    }

    public boolean isLeader(int group) {
        return division(group).getInfo().isLeader();
    }

    private void checkHosted(int group) {
        if (!hosts(group)) {
            throw new IllegalArgumentException("[" + nodeId + "] is not a member of log group " + group + " (its groups: "
                    + hostedGroups() + ")");
        }
    }

    /**
     * The members of {@code group} in its Raft configuration as this node knows it, its preferred
     * leader (the highest priority) first, then in node id order. Empty while this node waits to be
     * added ({@link Start#JOIN}).
     */
    public List<RaftPeer> members(int group) {
        List<RaftPeer> peers = new ArrayList<>(division(group).getRaftConf().getCurrentPeers());
        peers.sort(Comparator.comparingInt(RaftPeer::getPriority).reversed()
                .thenComparing(p -> p.getId().toString()));
        return peers;
    }

    /**
     * Changes the members of {@code group} to {@code peers} (the first its preferred leader), on this
     * node, the group's leader ({@link GroupMembership}); blocks until the group has committed them.
     *
     * @throws NotLeaderOfGroupException when this node is not the group's leader (it names the leader)
     * @throws IOException when the change fails or times out
     */
    public void changeMembers(int group, List<RaftPeer> peers) throws IOException {
        membership.change(group, peers);
    }

    /** {@link #changeMembers} on a thread of its own (never on the caller's event loop). */
    public CompletableFuture<Void> changeMembersAsync(int group, List<RaftPeer> peers) {
        return membership.changeAsync(group, peers);
    }

    ClusterConfig config() {
        return config;
    }

    /** How this node sees one of its groups, read locally (no Raft round). */
    public GroupStatus status(int group) {
        RaftServer.Division division = division(group);
        DivisionInfo info = division.getInfo();
        RaftLog log = division.getRaftLog();
        TxnStateMachine machine = (TxnStateMachine) division.getStateMachine();
        LogStats stats = machine.localStats();
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
                .setLogStartIndex(Math.max(0, log.getStartIndex()))
                .setOutOfOrderApplies(machine.outOfOrderApplies());
        members(group).forEach(p -> out.addMembers(p.getId().toString()));
        return out.build();
    }

    /**
     * How this node sees itself and its groups, read locally (no Raft round): every group in
     * {@code groups}, and the first one's Raft fields at the top level as well.
     */
    public NodeStatus status() {
        NodeStatus.Builder out = NodeStatus.newBuilder().setNodeId(nodeId)
                .setUptimeMs(System.currentTimeMillis() - startedAtMs);
        for (int g : hostedGroups()) {
            try {
                out.addGroups(status(g));
            } catch (IllegalArgumentException | UncheckedIOException e) {
                // left the group a moment ago
            }
        }
        if (out.getGroupsCount() > 0) {
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
        for (int g : hostedGroups()) {
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
        balancer.close();
        membership.close();
        clockReporter.close();
        server.close();
    }
}
