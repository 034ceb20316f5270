package io.dtm.cli.cluster;

import io.dtm.cli.CliConnections;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.Failures;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.rpc.GroupMember;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.ClusterView.NodeView;
import io.dtm.rpc.DtmConnections;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Changes which nodes a cluster in a {@link ClusterDir} has, and moves the log groups with them,
 * while transactions keep committing. The configuration's node list decides where each group lives
 * ({@link ClusterConfig#groupMembers}); a change writes the new list, starts the nodes that come in
 * (with {@code --join}: they wait until added), and then asks each group's leader to take its new
 * members (Ratis's configuration change: newcomers catch up first, then old and new members agree
 * together). Each step is checked first ({@link MembershipPlan}): a change that would leave a group
 * without a majority, or that a group without a leader cannot agree on, is refused before anything
 * changes.
 */
public final class MembershipChange {
    /** How often a change asked of a group's leader is tried again after NOT_LEADER or no answer. */
    private static final int ATTEMPTS = 5;

    /** Starts and stops the cluster's coordinator nodes: processes ({@link ClusterLauncher}), or a test's own. */
    public interface NodeRunner {
        /** Starts {@code node} as the configuration in the cluster's directory has it, to join the cluster ({@code --join}). */
        void startJoining(NodeConfig node) throws IOException;

        /** Stops node {@code id} if it runs. */
        void stop(String id);
    }

    private final ClusterDir dir;
    private final NodeRunner nodes;
    private final PrintWriter out;

    /** For the processes of a cluster started by {@code dtm cluster start} in {@code dir}. */
    public MembershipChange(ClusterDir dir, PrintWriter out) {
        this(dir, processes(new ClusterLauncher(dir, out)), out);
    }

    public MembershipChange(ClusterDir dir, NodeRunner nodes, PrintWriter out) {
        this.dir = dir;
        this.nodes = nodes;
        this.out = out;
    }

    private static NodeRunner processes(ClusterLauncher launcher) {
        return new NodeRunner() {
            @Override
            public void startJoining(NodeConfig node) throws IOException {
                launcher.startNode(node, List.of("--join"), new ArrayList<>());
            }

            @Override
            public void stop(String id) {
                launcher.stopNode(id);
            }
        };
    }

    /**
     * Node {@code replacement} takes the place of node {@code old} in every group: a dead node's
     * groups move to a new node. {@code replacement} may be {@code old} itself: a node that lost its
     * disk is then first taken out of its groups, its old data moved aside, and it is added again as
     * a new member (a node must never come back as an empty voter).
     */
    public void replace(String old, String replacement, Optional<NodeConfig> given) throws IOException, InterruptedException {
        ClusterConfig config = load();
        NodeConfig oldNode = config.node(old);
        if (old.equals(replacement)) {
            readd(config, old);
            return;
        }
        if (config.nodes().stream().anyMatch(n -> n.id().equals(replacement))) {
            throw new UserException("node " + replacement + " is already one of the cluster's nodes "
                    + ids(config.nodes()) + "; replace " + old + " with a new id, or with itself to re-add it");
        }
        NodeConfig newNode = given.orElseGet(() -> freshNode(config, replacement, oldNode.host()));
        List<NodeConfig> nodes = new ArrayList<>();
        for (NodeConfig n : config.nodes()) {
            nodes.add(n.id().equals(old) ? newNode : n);
        }
        apply(config, config.withNodes(nodes), Set.of(replacement), Set.of(old));
        moveDataAside(old, "replaced");
        out.printf("%s replaced %s: every group of %s now has %s in its place%n", replacement, old, old, replacement);
    }

    /** A new node {@code id} joins the cluster, and the groups that the longer node list places on it move to it. */
    public void add(String id, Optional<NodeConfig> given) throws IOException, InterruptedException {
        ClusterConfig config = load();
        if (config.nodes().stream().anyMatch(n -> n.id().equals(id))) {
            throw new UserException("node " + id + " is already one of the cluster's nodes " + ids(config.nodes())
                    + " (to re-add a node that lost its disk: ./dtm cluster replace-node " + id + " " + id + ")");
        }
        NodeConfig node = given.orElseGet(() -> freshNode(config, id, config.nodes().get(0).host()));
        List<NodeConfig> nodes = new ArrayList<>(config.nodes());
        nodes.add(node);
        apply(config, config.withNodes(nodes), Set.of(id), Set.of());
        out.printf("%s added: the cluster's nodes are %s%n", id, ids(nodes));
    }

    /** Node {@code id} leaves the cluster; the groups it held move to the others (as the shorter list places them). */
    public void remove(String id) throws IOException, InterruptedException {
        ClusterConfig config = load();
        config.node(id);
        List<NodeConfig> nodes = config.nodes().stream().filter(n -> !n.id().equals(id)).toList();
        if (nodes.isEmpty()) {
            throw new UserException("node " + id + " is the cluster's only node: it cannot leave (stop the cluster)");
        }
        ClusterConfig next;
        try {
            next = config.withNodes(nodes);
            next.groupMembers(0); // places the groups: refused when the replication no longer fits
        } catch (RuntimeException e) {
            throw new UserException("without " + id + " the cluster cannot place its groups: " + e.getMessage());
        }
        apply(config, next, Set.of(), Set.of(id));
        moveDataAside(id, "removed");
        out.printf("%s removed: the cluster's nodes are %s%n", id, ids(nodes));
        if (next.replication() < 3) {
            out.printf("warning: each log group now has %d member(s): %s%n", next.replication(),
                    next.replication() == 2 ? "no node may fail (a majority of 2 is both)" : "nothing is replicated");
        }
    }

    private void readd(ClusterConfig config, String id) throws IOException, InterruptedException {
        // First out of every group: an empty node must never be counted as holding what it held.
        Map<Integer, List<String>> without = new TreeMap<>();
        ClusterView view = read(config);
        for (int g = 0; g < config.log().groups(); g++) {
            List<String> members = membersOf(view, g);
            if (members.contains(id)) {
                without.put(g, members.stream().filter(m -> !m.equals(id)).toList());
            }
        }
        nodes.stop(id);
        changeGroups(config, config, without, Set.of(), Set.of(id));
        moveDataAside(id, "lost");
        // Then in again, as the configuration places it, starting empty and catching up.
        apply(config, config, Set.of(id), Set.of());
        out.printf("%s re-added: it started with no log and caught up from each group's leader%n", id);
    }

    /** Moves {@code current} to {@code next}: starts {@code starting} (joining), stops {@code stopping}, changes each group. */
    private void apply(ClusterConfig current, ClusterConfig next, Set<String> starting, Set<String> stopping)
            throws IOException, InterruptedException {
        Map<Integer, List<String>> targets = new TreeMap<>();
        for (int g = 0; g < next.log().groups(); g++) {
            targets.put(g, next.groupMembers(g));
        }
        MembershipPlan plan = plan(current, targets, starting, stopping);
        for (String id : stopping) {
            nodes.stop(id);
        }
        Files.writeString(dir.configFile(), next.toYaml(), StandardCharsets.UTF_8);
        List<String> made = ClusterPki.prepare(next, dir.caDir());
        if (!made.isEmpty()) {
            out.println("made " + String.join(", ", made));
        }
        for (String id : starting) {
            nodes.startJoining(next.node(id));
        }
        awaitView(next, view -> view.nodes().stream().filter(n -> starting.contains(n.id())).allMatch(NodeView::reachable),
                "the joining node " + String.join(", ", starting) + " did not answer (its log is in " + dir.root() + ")");
        run(next, plan);
    }

    private void changeGroups(ClusterConfig current, ClusterConfig next, Map<Integer, List<String>> targets,
            Set<String> starting, Set<String> stopping) throws InterruptedException {
        MembershipPlan plan = plan(current, targets, starting, stopping);
        for (String id : stopping) {
            nodes.stop(id);
        }
        run(next, plan);
    }

    private MembershipPlan plan(ClusterConfig current, Map<Integer, List<String>> targets, Set<String> starting,
            Set<String> stopping) {
        ClusterView view = read(current);
        Map<Integer, MembershipPlan.Group> groups = new LinkedHashMap<>();
        for (int g = 0; g < current.log().groups(); g++) {
            Optional<ClusterView.GroupLeader> leader = view.leaderOf(g);
            groups.put(g, new MembershipPlan.Group(leader.map(ClusterView.GroupLeader::nodeId).orElse(""),
                    leader.map(l -> List.copyOf(l.status().getMembersList())).orElse(List.of())));
        }
        Set<String> up = new HashSet<>(starting);
        view.nodes().stream().filter(NodeView::reachable).map(NodeView::id).filter(id -> !stopping.contains(id))
                .forEach(up::add);
        MembershipPlan plan = MembershipPlan.of(groups, targets, up);
        if (!plan.refusals().isEmpty()) {
            throw new UserException("refused, nothing changed:" + System.lineSeparator() + "  "
                    + String.join(System.lineSeparator() + "  ", plan.refusals()));
        }
        return plan;
    }

    /** Asks each group's leader for its change, one group at a time, and waits until the group reports it. */
    private void run(ClusterConfig config, MembershipPlan plan) throws InterruptedException {
        Duration timeout = Duration.ofMillis(Math.max(config.timeouts().startupTimeoutMs(), 30_000));
        try (DtmConnections connections = CliConnections.open(config, timeout)) {
            for (MembershipPlan.Change change : plan.changes()) {
                List<GroupMember> members = change.to().stream().map(id -> GroupMember.newBuilder().setNodeId(id)
                        .setRaftAddress(config.node(id).raftAddress()).build()).toList();
                out.printf("log group %d: %s -> %s%s%s ...%n", change.group(), change.from(), change.to(),
                        change.joining().isEmpty() ? "" : " (" + String.join(", ", change.joining()) + " join)",
                        change.leaving().isEmpty() ? "" : " (" + String.join(", ", change.leaving()) + " leave)");
                out.flush();
                ask(config, connections, change, members);
                ClusterView done = awaitView(config, view -> view.leaderOf(change.group())
                                .filter(l -> MembershipPlan.sameMembers(l.status().getMembersList(), change.to()))
                                .isPresent(), "log group " + change.group() + " did not report its new members");
                GroupStatus leader = done.leaderOf(change.group()).orElseThrow().status();
                out.printf("log group %d: members %s, leader %s, commit index %d%n", change.group(),
                        leader.getMembersList(), leader.getLeaderId(), leader.getCommitIndex());
                out.flush();
            }
        }
    }

    private void ask(ClusterConfig config, DtmConnections connections, MembershipPlan.Change change,
            List<GroupMember> members) throws InterruptedException {
        String target = read(config).leaderOf(change.group()).map(ClusterView.GroupLeader::nodeId).orElse("");
        Throwable last = null;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            if (target.isEmpty()) {
                Thread.sleep(500);
                target = read(config).leaderOf(change.group()).map(ClusterView.GroupLeader::nodeId).orElse("");
                continue;
            }
            try {
                connections.connect(config.node(target)).thenCompose(c -> c.changeMembers(change.group(), members)).join();
                return;
            } catch (RuntimeException e) {
                last = Failures.unwrap(e);
                if (last instanceof RemoteException remote && remote.code() == ErrorCode.NOT_LEADER) {
                    target = remote.leaderId();
                } else {
                    Thread.sleep(500);
                    target = read(config).leaderOf(change.group()).map(ClusterView.GroupLeader::nodeId).orElse("");
                }
            }
        }
        throw new UserException("log group " + change.group() + " did not take its new members " + change.to() + ": "
                + (last == null ? "no leader" : last.getMessage()) + ". The configuration " + dir.configFile()
                + " lists the new nodes already; run the command again once the group has a leader");
    }

    private ClusterView awaitView(ClusterConfig config, Predicate<ClusterView> condition, String whatFailed)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(config.timeouts().startupTimeoutMs()).toNanos();
        while (true) {
            ClusterView view = read(config);
            if (condition.test(view)) {
                return view;
            }
            if (System.nanoTime() > deadline) {
                throw new UserException(whatFailed + " within " + config.timeouts().startupTimeoutMs() + " ms");
            }
            Thread.sleep(100);
        }
    }

    private ClusterView read(ClusterConfig config) {
        try (DtmConnections connections = CliConnections.open(config, Duration.ofMillis(config.timeouts().rpcTimeoutMs()))) {
            return ClusterStatusReader.read(config, connections);
        }
    }

    private static List<String> membersOf(ClusterView view, int group) {
        return view.leaderOf(group).map(l -> List.copyOf(l.status().getMembersList())).orElseThrow(() -> new UserException(
                "log group " + group + " has no leader: a change of its members needs one. Bring its members back"
                        + " first (./dtm cluster start)"));
    }

    private ClusterConfig load() {
        if (!Files.isRegularFile(dir.configFile())) {
            throw new UserException(dir.root() + " holds no cluster (no " + dir.configFile() + "): start one with"
                    + " ./dtm cluster start --dir " + dir.root());
        }
        return ClusterConfig.load(dir.configFile());
    }

    /** A node on {@code host} with the next free port after the cluster's highest of each kind. */
    static NodeConfig freshNode(ClusterConfig config, String id, String host) {
        Set<Integer> taken = new HashSet<>();
        config.nodes().forEach(n -> taken.addAll(List.of(n.clientPort(), n.raftPort(), n.adminPort())));
        config.services().values().forEach(s -> taken.add(s.port()));
        int client = nextFree(host, config, NodeConfig::clientPort, taken);
        taken.add(client);
        int raft = nextFree(host, config, NodeConfig::raftPort, taken);
        taken.add(raft);
        int admin = nextFree(host, config, NodeConfig::adminPort, taken);
        return new NodeConfig(id, host, client, raft, admin);
    }

    private static int nextFree(String host, ClusterConfig config, Function<NodeConfig, Integer> kind, Set<Integer> taken) {
        int port = config.nodes().stream().map(kind).max(Integer::compare).orElse(7100) + 1;
        while (taken.contains(port) || !ClusterLauncher.portFree(host, port)) {
            port++;
        }
        return port;
    }

    private void moveDataAside(String id, String why) throws IOException {
        Path data = load().nodeDataDir(id);
        if (Files.exists(data)) {
            Path aside = data.resolveSibling(id + "." + why + "-" + System.currentTimeMillis());
            Files.move(data, aside);
            out.printf("%s's old data moved to %s%n", id, aside);
        }
    }

    private static List<String> ids(List<NodeConfig> nodes) {
        return nodes.stream().map(NodeConfig::id).toList();
    }
}
