package io.dtm.coordinator;

import com.codahale.metrics.MetricRegistry;
import io.dtm.config.ClusterConfig;
import io.dtm.config.CoordinatorConfig;
import io.dtm.config.DigestKeyFile;
import io.dtm.config.LimitsConfig;
import io.dtm.config.NodeConfig;
import io.dtm.coordinator.admin.AdminServer;
import io.dtm.coordinator.admin.NodeMetrics;
import io.dtm.coordinator.core.CoordinatorCore;
import io.dtm.coordinator.core.CoordinatorSettings;
import io.dtm.coordinator.core.RequestDigest;
import io.dtm.coordinator.runtime.Breakage;
import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.log.RatisMetricsReporting;
import io.dtm.log.TxnLogClient;
import io.dtm.log.TxnLogServer;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.ServerLimits;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.TlsContexts;
import io.dtm.time.SteadyClock;
import io.netty.handler.ssl.SslContext;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One coordinator process: the Raft server of the replicated transaction log (a division of each
 * log group the node is a member of), the client port, the admin HTTPS port (admin certificates
 * only), and — for each group this node leads — that group's two-phase-commit engine.
 *
 * <p>Leadership drives the engines, group by group ({@link GroupEngines}). Each group's transactions
 * are coordinated by that group's leader only; the engines of one node share its participant
 * connections and event loop.
 */
public final class CoordinatorNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorNode.class);

    /**
     * Test only: {@code -Ddtm.clock.offsetMs=N} runs this node's clock N ms off (negative: behind),
     * as a machine whose system clock was set wrong would: every wall-clock reading the node makes
     * is shifted — its log batches' timestamps and its clock reports (all that log time is made
     * of), and its engine's deadlines. Read once, when the node starts. The Jepsen harness's
     * clock-skew nemesis restarts a node with it; an offset in the JVM is exact and needs nothing
     * installed, where libfaketime would also move the monotonic clock and must be preloaded.
     */
    public static final String CLOCK_OFFSET_PROPERTY = "dtm.clock.offsetMs";

    /**
     * Test only: {@code -Ddtm.test.break=NAME} gives this node's engines a deliberate bug
     * ({@link Breakage#named}), so that the Jepsen-style harness can show its checkers catch it.
     */
    static final String BREAKAGE_PROPERTY = "dtm.test.break";
    /** Connections the admin port keeps open at most (fewer if {@code limits.maxConnections} is lower). */
    static final int ADMIN_MAX_CONNECTIONS = 64;
    private static final Breakage BREAKAGE = Breakage.named(System.getProperty(BREAKAGE_PROPERTY, ""));

    private final String nodeId;
    private final ClusterConfig config;
    private final CoordinatorSettings settings;
    private final TxnLogServer logServer;
    private final TxnLogClient logClient;
    private final NodeMetrics metrics;
    /** This node's wall clock (epoch ms), {@link #CLOCK_OFFSET_PROPERTY} off. */
    private final LongSupplier clockMs;
    private final DtmConnections connections;
    private final ParticipantPool participants;
    /** The engines of the groups this node leads. */
    private final GroupEngines engines;
    private RpcServer<Request, Response> clientServer;
    private AdminServer adminServer;

    private CoordinatorNode(String nodeId, ClusterConfig config, RequestDigest requestDigest, TxnLogServer logServer,
            TxnLogClient logClient, LongSupplier clockMs) {
        this.nodeId = nodeId;
        this.clockMs = clockMs;
        this.config = config;
        this.settings = settings(config, nodeId, requestDigest);
        this.logServer = logServer;
        this.logClient = logClient;
        this.metrics = new NodeMetrics(new MetricRegistry());
        CoordinatorConfig coordinator = config.coordinator();
        // Its event loop carries the participant connections and runs the coordinator (CoordinatorEngine).
        this.connections = DtmConnections.of(config, nodeId, Duration.ofMillis(coordinator.prepareTimeoutMs()),
                nodeId + "-2pc");
        this.participants = new ParticipantPool(config, connections);
        this.engines = new GroupEngines(nodeId, logServer, this::newEngine);
    }

    /**
     * The settings of each of this node's engines. {@code coordinator.maxInFlight} and
     * {@code resultCacheSize} bound the node: each group's engine gets an equal share (rounded up), so
     * a node that ends up leading every group holds no more than one engine did before the log was
     * split, and its connection to a service carries no more than {@code maxInFlight} requests.
     */
    static CoordinatorSettings settings(ClusterConfig config, String nodeId, RequestDigest requestDigest) {
        CoordinatorConfig c = config.coordinator();
        int groups = config.log().groups();
        return new CoordinatorSettings("coordinator:" + nodeId, c.prepareAttempts(), c.retryBackoffMs(),
                c.retryBackoffMaxMs(), c.transactionTimeoutMs(), c.maxAttempts(), c.lockBackoffMs(),
                share(c.maxInFlight(), groups), share(c.resultCacheSize(), groups), requestDigest);
    }

    /** {@code total} split {@code ways}, rounded up ({@code 0} stays {@code 0}: no cache). */
    static int share(int total, int ways) {
        return total == 0 ? 0 : Math.max(1, (total + ways - 1) / ways);
    }

    /**
     * Starts the node {@code nodeId} of {@code config}, keeping its data in {@code config.nodeDataDir(nodeId)}
     * and keying request digests with the cluster's key from {@code config.tlsDir()} (refused, saying
     * why, when it is missing or open to others). {@code start} says what a blank log storage is
     * ({@link TxnLogServer.Start}: a new cluster's, a joining node's, or a lost disk, refused).
     */
    public static CoordinatorNode start(ClusterConfig config, String nodeId, TxnLogServer.Start start)
            throws IOException {
        NodeConfig node = config.node(nodeId);
        RequestDigest requestDigest = RequestDigest.withKey(DigestKeyFile.read(config.tlsDir()));
        LOG.info("[{}] request digests keyed by {}", nodeId, requestDigest);
        TlsContexts.warnIfOff(config, nodeId);
        long offsetMs = clockOffsetMs(System.getProperty(CLOCK_OFFSET_PROPERTY));
        // Read once, then moved on by the monotonic clock: a clock set back or forth while the node
        // runs neither stalls nor hurries its timers and deadlines (SteadyClock).
        LongSupplier clockMs = SteadyClock.ofSystem(offsetMs);
        if (offsetMs != 0) {
            LOG.warn("[{}] TEST-ONLY CLOCK OFFSET ({}={}): this node's clock runs {} ms {}", nodeId,
                    CLOCK_OFFSET_PROPERTY, offsetMs, Math.abs(offsetMs), offsetMs > 0 ? "ahead" : "behind");
        }
        TxnLogServer logServer = TxnLogServer.start(config, nodeId, config.nodeDataDir(nodeId), start, clockMs);
        RetentionBudget.warning(logServer.hostedGroups().size(), config.log().retention().maxOutcomes(),
                Runtime.getRuntime().maxMemory()).ifPresent(w -> LOG.warn("[{}] {}", nodeId, w));
        CoordinatorNode started = null;
        try {
            started = new CoordinatorNode(nodeId, config, requestDigest, logServer,
                    TxnLogClient.connectAsNode(config, nodeId, clockMs, logServer.raftNodes()), clockMs);
            started.serve(node);
            return started;
        } catch (IOException | RuntimeException e) {
            if (started != null) {
                started.close();
            } else {
                closeQuietly(logServer);
            }
            throw e;
        }
    }

    private void serve(NodeConfig node) throws IOException {
        ClientService service = new ClientService(nodeId, config, settings, logServer, logClient, metrics,
                engines::get);
        LimitsConfig limits = config.limits();
        // One server context for both of this node's ports (its certificate, the cluster's CA, a client certificate required).
        SslContext tls = TlsContexts.server(config, nodeId).orElse(null);
        clientServer = RpcServer.builder(Request.parser(), service::handle, ClientService::errorResponse)
                .name(nodeId + "-client")
                .limits(new ServerLimits(limits.maxConnections(), limits.maxInFlightPerConnection(), limits.idleTimeoutMs()))
                .tls(tls)
                .start(node.host(), node.clientPort());
        metrics.registerInFlight(() -> engines.sum(CoordinatorEngine::inFlight));
        metrics.registerPhase2Backlog(() -> engines.sum(CoordinatorEngine::phase2Backlog));
        metrics.registerOpenViolations(() -> engines.sum(e -> e.violations().size()));
        metrics.registerOutOfOrderApplies(logServer::outOfOrderApplies);
        metrics.registerRaft(() -> logServer.status().getCommitIndex(), () -> logServer.status().getAppliedIndex(),
                () -> logServer.status().getTerm(), () -> logServer.status().getLeaderReady());
        // Every group: a node may join groups while it runs (their gauges read zeros where it holds none).
        for (int g = 0; g < logServer.groups().size(); g++) {
            int group = g;
            metrics.registerGroup(group, () -> groupStatus(group).getCommitIndex(),
                    () -> groupStatus(group).getAppliedIndex(), () -> groupStatus(group).getTerm(),
                    () -> groupStatus(group).getLeaderReady(), () -> {
                        CoordinatorEngine e = engines.get(group);
                        return e == null ? 0 : e.inFlight();
                    });
        }
        metrics.startJmx("dtm." + nodeId);
        adminServer = new AdminServer(nodeId, new AdminServer.Listen(node.host(), node.adminPort(), tls, adminLimits(limits)),
                metrics, CoordinatorNode::ratisRegistries, this::statusMap, () -> logServer.raftServer().getLifeCycleState()
                        .isRunning(), () -> "raft " + logServer.raftServer().getLifeCycleState());
        engines.listen();
        LOG.info("[{}] serving clients on {}, admin on {}", nodeId, node.clientAddress(), node.adminAddress());
        if (BREAKAGE != Breakage.NONE) {
            LOG.error("[{}] TEST-ONLY BREAKAGE ENABLED (dtm.test.break={}): this node violates two-phase commit on"
                    + " purpose, to test the test harness", nodeId, System.getProperty(BREAKAGE_PROPERTY));
        }
    }

    /** A group's status, or an empty one once this node has left the group (its metrics read zeros then). */
    private GroupStatus groupStatus(int group) {
        try {
            return logServer.status(group);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            return GroupStatus.getDefaultInstance();
        }
    }

    /**
     * The admin port's bounds: the client port's idle timeout, and its connection cap but never above
     * {@value #ADMIN_MAX_CONNECTIONS}. The admin port serves operators and a metrics scraper or two on a
     * single thread, not the cluster's clients: a cap sized for those (1,024 by default) would let one
     * holder of any certificate of the CA keep that many TLS sessions open there for nothing.
     */
    static ServerLimits adminLimits(LimitsConfig limits) {
        // HTTP/1.1 answers one request of a connection at a time: the in-flight bound does not apply (1).
        return new ServerLimits(Math.min(ADMIN_MAX_CONNECTIONS, limits.maxConnections()), 1, limits.idleTimeoutMs());
    }

    /** {@link #CLOCK_OFFSET_PROPERTY}'s value: 0 when unset; anything but a whole number is refused. */
    static long clockOffsetMs(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(CLOCK_OFFSET_PROPERTY + " must be a whole number of milliseconds, got \""
                    + value + "\"", e);
        }
    }

    /** The engine of {@code group} in {@code term}, on this node's log appender, participants and event loop. */
    private CoordinatorEngine newEngine(int group, long term, Consumer<String> onFenced) {
        return new CoordinatorEngine(nodeId + "/g" + group, term, new CoordinatorCore(settings, new Random()),
                EngineAdapters.log(logServer.appender(nodeId, group, term), logClient),
                EngineAdapters.participants(participants), EngineAdapters.thread(connections.eventLoop()), metrics,
                clockMs, onFenced, BREAKAGE);
    }

    private Map<String, Object> statusMap() {
        NodeStatus s = logServer.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("nodeId", s.getNodeId());
        m.put("role", s.getRole());
        m.put("term", s.getTerm());
        m.put("leaderId", s.getLeaderId());
        m.put("leaderReady", s.getLeaderReady());
        m.put("commitIndex", s.getCommitIndex());
        m.put("appliedIndex", s.getAppliedIndex());
        m.put("inFlightInLog", s.getInFlight());
        m.put("retainedOutcomes", s.getRetainedOutcomes());
        m.put("snapshotIndex", s.getSnapshotIndex());
        m.put("coordinating", !engines.coordinated().isEmpty());
        m.put("inFlight", engines.sum(CoordinatorEngine::inFlight));
        m.put("phase2Backlog", engines.sum(CoordinatorEngine::phase2Backlog));
        List<Map<String, Object>> violations = new ArrayList<>();
        List<Map<String, Object>> groups = new ArrayList<>();
        for (GroupStatus g : s.getGroupsList()) {
            CoordinatorEngine e = engines.get(g.getGroup());
            Map<String, Object> group = new LinkedHashMap<>();
            group.put("group", g.getGroup());
            group.put("members", g.getMembersList());
            group.put("role", g.getRole());
            group.put("term", g.getTerm());
            group.put("leaderId", g.getLeaderId());
            group.put("leaderReady", g.getLeaderReady());
            group.put("commitIndex", g.getCommitIndex());
            group.put("appliedIndex", g.getAppliedIndex());
            group.put("inFlightInLog", g.getInFlight());
            group.put("retainedOutcomes", g.getRetainedOutcomes());
            group.put("snapshotIndex", g.getSnapshotIndex());
            group.put("coordinating", e != null);
            group.put("inFlight", e == null ? 0 : e.inFlight());
            groups.add(group);
            if (e != null) {
                e.violations().forEach(v -> violations.add(Map.of("attemptId", v.attemptId(), "service",
                        v.service().id(), "message", v.message(), "sinceMs", v.sinceMs(), "group", g.getGroup())));
            }
        }
        m.put("violations", violations);
        m.put("groups", groups);
        return m;
    }

    private static Map<String, MetricRegistry> ratisRegistries() {
        Map<String, MetricRegistry> out = new LinkedHashMap<>();
        for (RatisMetricRegistry r : MetricRegistries.global().getMetricRegistries()) {
            out.put(r.getMetricRegistryInfo().getPrefix(), RatisMetricsReporting.dropwizard(r));
        }
        return out;
    }

    /** The term in which this node coordinates {@code group}, or -1 when it does not. */
    long coordinatingTerm(int group) {
        CoordinatorEngine e = engines.get(group);
        return e == null ? -1 : e.term();
    }

    /** The log groups this node coordinates now (leads and has taken over), ascending. */
    public List<Integer> coordinatedGroups() {
        return engines.coordinated();
    }

    /** See {@link GroupEngines#stepDownFrom}. */
    void stepDownFrom(int group, long term, String why) {
        engines.stepDownFrom(group, term, why);
    }

    /**
     * This node's replica of the log. What runs in this process may append as the leader with it
     * ({@link TxnLogServer#appender}); tests do, to set up what a coordinator would have logged.
     */
    public TxnLogServer logServer() {
        return logServer;
    }

    /** Runs {@code task} on the thread that starts and stops engines, after what is queued there. */
    void onLeadershipThread(Runnable task) {
        engines.onLeadershipThread(task);
    }

    public String nodeId() {
        return nodeId;
    }

    /** True while this node runs a two-phase-commit engine of any group (it leads one and has taken over). */
    public boolean isCoordinating() {
        return !coordinatedGroups().isEmpty();
    }

    /** True while this node runs the two-phase-commit engine of {@code group}. */
    public boolean isCoordinating(int group) {
        return engines.get(group) != null;
    }

    @Override
    public void close() {
        LOG.info("[{}] stopping", nodeId);
        engines.close();
        if (clientServer != null) {
            clientServer.close();
        }
        if (adminServer != null) {
            adminServer.close();
        }
        metrics.stopJmx();
        participants.close();
        connections.close();
        closeQuietly(logClient);
        closeQuietly(logServer);
        LOG.info("[{}] stopped", nodeId);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed", c, e);
        }
    }
}
