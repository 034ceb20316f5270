package io.dtm.jepsen.run;

import io.dtm.config.ClusterConfig;
import io.dtm.config.CoordinatorConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.LogConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.ParticipantsConfig;
import io.dtm.config.RetentionConfig;
import io.dtm.config.ServiceConfig;
import io.dtm.config.ServiceName;
import io.dtm.config.TimeoutsConfig;
import io.dtm.jepsen.env.Network;
import io.dtm.jepsen.env.Processes;
import io.dtm.launch.AotCaches;
import io.dtm.protocol.Failures;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.ListedTxn;
import io.dtm.protocol.participant.TxnList;
import io.dtm.protocol.rpc.GroupMember;
import io.dtm.protocol.rpc.LogDump;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.ParticipantClient;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The cluster a test runs against: three coordinator processes and four participant processes,
 * each in its own network namespace when the machine allows (else on 127.0.0.1 with free ports),
 * started from the {@code dtm} command line with a configuration written into the run's folder.
 */
public final class TestCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TestCluster.class);
    /** The seven process names, which are also their hosts in the network. */
    public static final List<String> NODES = List.of("n1", "n2", "n3");

    /**
     * The system property a coordinator node reads once at start: its clock, as the log sees it
     * (the timestamps of its batches and clock reports), runs this many milliseconds off.
     * CoordinatorNode.CLOCK_OFFSET_PROPERTY, spelled out: this module does not depend on the node.
     */
    static final String CLOCK_OFFSET_PROPERTY = "dtm.clock.offsetMs";

    /**
     * What a test changes in the cluster's configuration, each empty for the bundled default.
     *
     * @param maxOutcomes     {@code log.retention.maxOutcomes}: outcomes the log keeps
     * @param resultCacheSize {@code coordinator.resultCacheSize}: answers the leader keeps (0: none,
     *                        so every resubmission is answered from the log)
     */
    public record Tuning(OptionalInt maxOutcomes, OptionalInt resultCacheSize, OptionalInt logGroups) {
    }

    private final ClusterConfig config;
    private final Processes processes;
    private final Network network;
    private final DtmConnections connections;
    /** How each coordinator node is run, less the clock offset. */
    private final List<String> nodeDtm;
    private final Path configFile;
    /** The nodes now running with their clock off, and by how much. */
    private final Map<String, Long> clockOffsets = new TreeMap<>();
    /** Whether every group has had a leader: until then nodes start with --new-cluster. */
    private boolean formed;

    private TestCluster(ClusterConfig config, Processes processes, Network network, List<String> nodeDtm,
            Path configFile) {
        this.config = config;
        this.processes = processes;
        this.network = network;
        this.connections = DtmConnections.of(config, "admin", Duration.ofSeconds(5), "jepsen-admin");
        this.nodeDtm = List.copyOf(nodeDtm);
        this.configFile = configFile;
    }

    /**
     * Writes the configuration into {@code dir} and defines the processes (not started yet).
     *
     * @param dtm         the command that runs the dtm command line, e.g. {@code [java, -cp, ..., io.dtm.cli.Dtm]}
     * @param network     the namespaces to run in, or null for 127.0.0.1
     * @param inDoubtMs   how long a participant waits in doubt before asking the log
     * @param breakage    "" or a deliberate bug for the coordinators ({@code -Ddtm.test.break})
     * @param tuning      what this test changes in the configuration
     */
    public static TestCluster create(Path dir, List<String> dtm, Network network, long inDoubtMs, String breakage,
            Tuning tuning) throws IOException {
        ClusterConfig base = ClusterConfig.loadDefault();
        List<NodeConfig> nodes = new ArrayList<>();
        Map<ServiceName, ServiceConfig> services = new EnumMap<>(ServiceName.class);
        for (NodeConfig n : base.nodes()) {
            nodes.add(network == null
                    ? new NodeConfig(n.id(), "127.0.0.1", FreePorts.next(), FreePorts.next(), FreePorts.next())
                    : new NodeConfig(n.id(), network.address(n.id()), n.clientPort(), n.raftPort(), n.adminPort()));
        }
        base.services().forEach((s, c) -> services.put(s, network == null
                ? new ServiceConfig("127.0.0.1", FreePorts.next(), c.faults())
                : new ServiceConfig(network.address(s.id()), c.port(), c.faults())));
        ClusterConfig config = new ClusterConfig("jepsen", dir.resolve("data"), nodes, services,
                new TimeoutsConfig(1_000, 2_000, 5_000, 60_000), tuned(base.log(), tuning),
                new ParticipantsConfig(inDoubtMs, base.participants().maxBatch(), true /* the nemeses set faults */), tuned(base.coordinator(), tuning),
                "jepsen");
        Files.createDirectories(dir);
        ClusterPki.prepare(config, dir.resolve("ca")); // the digest key, certificates naming each process's address
        Path file = dir.resolve("cluster.yaml");
        Files.writeString(file, config.toYaml());
        Path pids = dir.getParent().resolve(".pids");
        Processes processes = new Processes(dir.resolve("logs"), pids,
                network == null ? (name, cmd) -> cmd : network::inside);
        int java = Runtime.version().feature(); // the processes run on the harness's own java
        Optional<Path> program = aotProgram(dtm, java);
        List<String> nodeDtm = withAotCache(dtm, program, AotCaches.NODE, java);
        if (!breakage.isEmpty()) {
            nodeDtm.add(1, "-Ddtm.test.break=" + breakage);
        }
        TestCluster cluster = new TestCluster(config.withDataDir(dir.resolve("data")), processes, network, nodeDtm, file);
        for (NodeConfig n : nodes) {
            processes.define(n.id(), cluster.nodeCommand(n.id(), 0));
        }
        for (ServiceName s : ServiceName.values()) {
            processes.define(s.id(), command(withAotCache(dtm, program, s.id(), java), "participant", "--service", s.id(),
                    "--config", file.toString()));
        }
        return cluster;
    }

    /**
     * The program's jar in {@code dtm} ({@code -cp JAR ...}), when the build's AOT caches beside it
     * were made from it and the processes run on Java {@code javaFeature}: they then start and reach
     * speed as {@code dtm cluster start}'s do.
     */
    static Optional<Path> aotProgram(List<String> dtm, int javaFeature) {
        int cp = dtm.indexOf("-cp");
        if (cp < 0 || cp + 1 >= dtm.size() || javaFeature < 25) {
            return Optional.empty();
        }
        Path jar = Path.of(dtm.get(cp + 1).split(java.io.File.pathSeparator)[0]);
        Optional<String> stale = AotCaches.staleness(jar);
        if (stale.isPresent()) {
            LOG.warn("{}; the test's processes start without them", stale.get());
            return Optional.empty();
        }
        return Optional.of(jar);
    }

    /** {@code dtm} with the AOT cache of processes of {@code kind} from {@code program}, if the build made one. */
    static List<String> withAotCache(List<String> dtm, Optional<Path> program, String kind, int javaFeature) {
        List<String> command = new ArrayList<>(dtm);
        program.flatMap(jar -> AotCaches.file(kind, javaFeature, jar))
                .ifPresent(cache -> command.add(1, "-XX:AOTCache=" + cache));
        return command;
    }

    private static LogConfig tuned(LogConfig log, Tuning tuning) {
        RetentionConfig r = log.retention();
        return new LogConfig(log.snapshotEveryEntries(), log.segmentSizeBytes(),
                new RetentionConfig(tuning.maxOutcomes().orElse(r.maxOutcomes()), r.maxAgeMs(), r.maxForgotten()),
                log.groupCommit(), tuning.logGroups().orElse(log.groups()), log.replication());
    }

    private static CoordinatorConfig tuned(CoordinatorConfig c, Tuning tuning) {
        if (tuning.resultCacheSize().isEmpty()) {
            return c;
        }
        return new CoordinatorConfig(c.prepareTimeoutMs(), c.prepareAttempts(), c.retryBackoffMs(), c.retryBackoffMaxMs(),
                c.transactionTimeoutMs(), c.maxAttempts(), c.lockBackoffMs(), c.maxInFlight(),
                tuning.resultCacheSize().getAsInt());
    }

    /** The command of coordinator {@code node}, its clock {@code offsetMs} off (0: the real clock). */
    private List<String> nodeCommand(String node, long offsetMs) {
        List<String> java = new ArrayList<>(nodeDtm);
        if (offsetMs != 0) {
            java.add(1, "-D" + CLOCK_OFFSET_PROPERTY + "=" + offsetMs);
        }
        List<String> args = new ArrayList<>(List.of("node", "--id", node, "--config", configFile.toString()));
        if (!formed) {
            args.add("--new-cluster"); // until every group has had a leader; then a node without its log is refused
        }
        return command(java, args.toArray(new String[0]));
    }

    /**
     * Kills coordinator {@code node} (SIGKILL) and starts it again on its data with its clock
     * {@code offsetMs} off (0: the real clock again), as a machine whose clock was set wrong and
     * rebooted would run.
     */
    public synchronized void restartWithClockOffset(String node, long offsetMs) {
        if (!NODES.contains(node)) {
            throw new IllegalArgumentException("only coordinator nodes take a clock offset, not " + node);
        }
        processes.kill(node);
        processes.define(node, nodeCommand(node, offsetMs));
        if (offsetMs == 0) {
            clockOffsets.remove(node);
        } else {
            clockOffsets.put(node, offsetMs);
        }
        processes.start(node);
    }

    /**
     * Waits, at most {@code timeout}, until {@code node} answers and every log group has a ready leader; false when
     * it did not (the caller goes on: a fault may keep it out, which the history shows).
     */
    public boolean awaitRejoined(String node, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            ClusterView view = view();
            boolean up = view.nodes().stream().anyMatch(n -> n.id().equals(node) && n.reachable());
            if (up && view.everyGroupLed()) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return false;
    }

    /** Kills coordinator {@code node} (SIGKILL) and deletes its data: its machine's disk is lost. */
    public synchronized void killAndWipe(String node) throws IOException {
        processes.kill(node);
        Path data = config.nodeDataDir(node);
        if (Files.exists(data)) {
            try (var all = Files.walk(data)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    /**
     * Starts {@code node}, which has no log, with {@code --join}: it waits, empty, until each of its
     * groups' leaders adds it. Later (re)starts are plain ones, on the log it will have.
     */
    public synchronized void startJoining(String node) {
        List<String> joining = new ArrayList<>(nodeCommand(node, clockOffsets.getOrDefault(node, 0L)));
        joining.add("--join");
        processes.define(node, joining);
        processes.start(node);
        processes.define(node, nodeCommand(node, clockOffsets.getOrDefault(node, 0L)));
    }

    /**
     * Asks log group {@code group}'s leader to make {@code members} (the first its preferred
     * leader) the group's members, following NOT_LEADER and retrying while there is no leader, for
     * at most {@code timeout}; returns the error of the last try, or empty once the group took them.
     */
    public Optional<String> changeMembers(int group, List<String> members, Duration timeout) throws InterruptedException {
        List<GroupMember> peers = members.stream().map(id -> GroupMember.newBuilder().setNodeId(id)
                .setRaftAddress(config.node(id).raftAddress()).build()).toList();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no leader";
        while (System.nanoTime() < deadline) {
            Optional<ClusterView.GroupLeader> leader = view().leaderOf(group);
            if (leader.isPresent()) {
                try {
                    connections.connect(config.node(leader.get().nodeId()))
                            .thenCompose(c -> c.changeMembers(group, peers)).join();
                    return Optional.empty();
                } catch (RuntimeException e) {
                    last = String.valueOf(Failures.unwrap(e).getMessage());
                }
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        return Optional.of(last);
    }

    /** Every node whose clock is off, restarted on the real clock; the nodes that were. */
    public synchronized List<String> restoreClocks() {
        List<String> skewed = List.copyOf(clockOffsets.keySet());
        skewed.forEach(n -> restartWithClockOffset(n, 0));
        return skewed;
    }

    private static List<String> command(List<String> dtm, String... args) {
        List<String> c = new ArrayList<>(dtm);
        c.addAll(List.of(args));
        return c;
    }

    public ClusterConfig config() {
        return config;
    }

    public Processes processes() {
        return processes;
    }

    public Optional<Network> network() {
        return Optional.ofNullable(network);
    }

    public DtmConnections connections() {
        return connections;
    }

    public List<String> names() {
        return processes.names();
    }

    public void startAll() {
        processes.names().forEach(processes::start);
    }

    /** Waits until every log group has a ready leader and every service answers. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        await(timeout, "a ready leader and every service", () -> {
            ClusterView view = view();
            return view.everyGroupLed()
                    && view.services().stream().allMatch(ClusterView.ServiceView::reachable);
        });
        markFormed();
    }

    /** The cluster has formed: from now on a node restarts on its log only (a node that lost it is refused). */
    private synchronized void markFormed() {
        if (!formed) {
            formed = true;
            for (NodeConfig n : config.nodes()) {
                processes.define(n.id(), nodeCommand(n.id(), clockOffsets.getOrDefault(n.id(), 0L)));
            }
        }
    }

    public ClusterView view() {
        return ClusterStatusReader.read(config, connections);
    }

    /** The node that leads now — with several log groups, the one leading the most — if one does. */
    public Optional<String> leader() {
        ClusterView view = view();
        return view.groups() == 1 ? view.leader().map(NodeStatus::getNodeId) : view.busiestLeader();
    }

    /** Waits until {@link #converged()}. */
    public void awaitConverged(Duration timeout) throws InterruptedException {
        await(timeout, "every replica at the leader's commit index", this::converged);
    }

    /** Every node answers and has applied, in each of its log groups, at least what the group's leader has committed. */
    public boolean converged() {
        ClusterView view = view();
        if (!view.nodes().stream().allMatch(ClusterView.NodeView::reachable)) {
            return false;
        }
        for (int g = 0; g < view.groups(); g++) {
            int group = g;
            Optional<ClusterView.GroupLeader> leader = view.leaderOf(group);
            if (leader.isEmpty()) {
                return false;
            }
            long committed = leader.get().status().getCommitIndex();
            boolean caughtUp = view.nodes().stream().flatMap(n -> n.status().getGroupsList().stream())
                    .filter(s -> s.getGroup() == group).allMatch(s -> s.getAppliedIndex() >= committed);
            if (!caughtUp) {
                return false;
            }
        }
        return true;
    }

    /**
     * Every log group led by its preferred member (the first of its members), as LeaderBalance brings it back.
     * With one group nothing hands leadership back, so any leader is balanced.
     */
    public boolean balanced() {
        ClusterView view = view();
        if (view.groups() == 1) {
            return view.leaderOf(0).isPresent();
        }
        for (int g = 0; g < view.groups(); g++) {
            Optional<ClusterView.GroupLeader> leader = view.leaderOf(g);
            if (leader.isEmpty() || leader.get().status().getMembersCount() == 0
                    || !leader.get().status().getMembers(0).equals(leader.get().nodeId())) {
                return false;
            }
        }
        return true;
    }

    /** Each node's own replica: attempt id → COMMIT, ABORT or UNDECIDED; a node that cannot be read is left out. */
    public Map<String, Map<String, String>> readLogs() {
        Map<String, Map<String, String>> logs = new TreeMap<>();
        for (NodeConfig node : config.nodes()) {
            try (NodeClient client = connections.connect(node).get(10, TimeUnit.SECONDS)) {
                Map<String, String> outcomes = new TreeMap<>();
                String after = "";
                do {
                    LogDump page = client.logDump(after, 0).get(30, TimeUnit.SECONDS);
                    for (TxnState s : page.getStatesList()) {
                        outcomes.put(s.getAttemptId(), s.getOutcome().name());
                    }
                    after = page.getNext();
                } while (!after.isEmpty());
                logs.put(node.id(), outcomes);
            } catch (Exception e) {
                // left out: the agreement checker reports the node as not read
            }
        }
        return logs;
    }

    /** Each service's local transactions: attempt id → state; a service that cannot be read is left out. */
    public Map<String, Map<String, String>> readParticipants() {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (ServiceName s : ServiceName.values()) {
            try (ParticipantClient client = connections.connectParticipant(s, config.service(s)).get(10, TimeUnit.SECONDS)) {
                Map<String, String> states = new TreeMap<>();
                String after = "";
                do {
                    TxnList page = client.list(after, 0).get(30, TimeUnit.SECONDS);
                    for (ListedTxn t : page.getTxnsList()) {
                        states.put(t.getAttemptId(), t.getState().name());
                    }
                    after = page.getNext();
                } while (!after.isEmpty());
                out.put(s.id(), states);
            } catch (Exception e) {
                // left out: the checkers that need it say unknown
            }
        }
        return out;
    }

    /** Every reachable service's totals, keyed {@code service.total}. */
    public Map<String, Long> totals() {
        Map<String, Long> totals = new LinkedHashMap<>();
        for (ClusterView.ServiceView svc : view().services()) {
            if (svc.reachable()) {
                svc.inspect().getTotalsMap().forEach((k, v) -> totals.put(svc.name() + "." + k, v));
            }
        }
        return totals;
    }

    /** How many attempts the services hold PREPARED (-1 when one cannot be read). */
    public long preparedCount() {
        long n = 0;
        for (ClusterView.ServiceView svc : view().services()) {
            if (!svc.reachable()) {
                return -1;
            }
            n += svc.inspect().getPreparedCount();
        }
        return n;
    }

    static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
    }

    @Override
    public void close() {
        processes.close();
        connections.close();
    }
}
