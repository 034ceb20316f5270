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
import io.dtm.log.LeadershipListener;
import io.dtm.log.RatisMetricsReporting;
import io.dtm.log.TxnLogClient;
import io.dtm.log.TxnLogServer;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.ServerLimits;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One coordinator process: the Raft server of the replicated transaction log, the client port,
 * the admin HTTPS port (admin certificates only), and — while this node leads — the two-phase-commit engine.
 *
 * <p>Leadership drives the engine: when this node becomes leader and has applied the whole log,
 * a new engine for that term takes over every attempt in flight; when leadership moves away (or
 * the log fences this node's records), the engine stops and its waiting clients hear NOT_LEADER.
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
    /** Starts and stops engines in order, off Ratis's threads. */
    private final ExecutorService leadership;
    private volatile CoordinatorEngine engine;
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
        this.leadership = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, nodeId + "-leadership");
            t.setDaemon(true);
            return t;
        });
    }

    static CoordinatorSettings settings(ClusterConfig config, String nodeId, RequestDigest requestDigest) {
        CoordinatorConfig c = config.coordinator();
        return new CoordinatorSettings("coordinator:" + nodeId, c.prepareAttempts(), c.retryBackoffMs(),
                c.retryBackoffMaxMs(), c.transactionTimeoutMs(), c.maxAttempts(), c.lockBackoffMs(), c.maxInFlight(),
                c.resultCacheSize(), requestDigest);
    }

    /**
     * Starts the node {@code nodeId} of {@code config}, keeping its data in {@code config.nodeDataDir(nodeId)}
     * and keying request digests with the cluster's key from {@code config.tlsDir()} (refused, saying
     * why, when it is missing or open to others).
     */
    public static CoordinatorNode start(ClusterConfig config, String nodeId) throws IOException {
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
        TxnLogServer logServer = TxnLogServer.start(config, nodeId, config.nodeDataDir(nodeId), clockMs);
        CoordinatorNode started = null;
        try {
            started = new CoordinatorNode(nodeId, config, requestDigest, logServer,
                    TxnLogClient.connectAsNode(config, nodeId, clockMs), clockMs);
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
                () -> engine);
        LimitsConfig limits = config.limits();
        // One server context for both of this node's ports (its certificate, the cluster's CA, a client certificate required).
        SslContext tls = TlsContexts.server(config, nodeId).orElse(null);
        clientServer = RpcServer.builder(Request.parser(), service::handle, ClientService::errorResponse)
                .name(nodeId + "-client")
                .limits(new ServerLimits(limits.maxConnections(), limits.maxInFlightPerConnection(), limits.idleTimeoutMs()))
                .tls(tls)
                .start(node.host(), node.clientPort());
        metrics.registerInFlight(() -> {
            CoordinatorEngine e = engine;
            return e == null ? 0 : e.inFlight();
        });
        metrics.registerPhase2Backlog(() -> {
            CoordinatorEngine e = engine;
            return e == null ? 0 : e.phase2Backlog();
        });
        metrics.registerOpenViolations(() -> {
            CoordinatorEngine e = engine;
            return e == null ? 0 : e.violations().size();
        });
        metrics.registerRaft(() -> logServer.status().getCommitIndex(), () -> logServer.status().getAppliedIndex(),
                () -> logServer.status().getTerm(), () -> logServer.status().getLeaderReady());
        metrics.startJmx("dtm." + nodeId);
        adminServer = new AdminServer(nodeId, new AdminServer.Listen(node.host(), node.adminPort(), tls, adminLimits(limits)),
                metrics, CoordinatorNode::ratisRegistries, this::statusMap, () -> logServer.raftServer().getLifeCycleState()
                        .isRunning(), () -> "raft " + logServer.raftServer().getLifeCycleState());
        logServer.stateMachine().setLeadershipListener(new LeadershipListener() {
            @Override
            public void leaderReady(long term) {
                leadership.execute(() -> lead(term));
            }

            @Override
            public void leaderChanged(String leaderId) {
                if (!leaderId.equals(nodeId)) {
                    leadership.execute(() -> stepDown("leadership moved to " + (leaderId.isEmpty() ? "nobody yet" : leaderId)));
                }
            }

            @Override
            public void leadershipLost() {
                leadership.execute(() -> stepDown("Raft stepped down (no majority, or a higher term)"));
            }
        });
        // Leadership may have come before the listener was set.
        NodeStatus status = logServer.status();
        if (status.getLeaderReady()) {
            long term = status.getTerm();
            leadership.execute(() -> lead(term));
        }
        LOG.info("[{}] serving clients on {}, admin on {}", nodeId, node.clientAddress(), node.adminAddress());
        if (BREAKAGE != Breakage.NONE) {
            LOG.error("[{}] TEST-ONLY BREAKAGE ENABLED (dtm.test.break={}): this node violates two-phase commit on"
                    + " purpose, to test the test harness", nodeId, System.getProperty(BREAKAGE_PROPERTY));
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

    /** Runs on the leadership thread: a new engine for {@code term} takes over what the log holds in flight. */
    private void lead(long term) {
        CoordinatorEngine current = engine;
        if (current != null && current.term() == term) {
            return;
        }
        if (current != null) {
            stepDown("a newer term " + term + " began");
        }
        if (!logServer.status().getLeaderReady() || logServer.status().getTerm() != term) {
            return; // leadership already moved on
        }
        CoordinatorCore core = new CoordinatorCore(settings, new Random());
        CoordinatorEngine next = new CoordinatorEngine(nodeId, term, core,
                EngineAdapters.log(logServer.appender(nodeId, term), logClient), EngineAdapters.participants(participants),
                EngineAdapters.thread(connections.eventLoop()), metrics, clockMs,
                detail -> leadership.execute(() -> stepDownFrom(term, "fenced by the log: " + detail)), BREAKAGE);
        next.recover(logServer.stateMachine().inFlightTransactions());
        engine = next;
        LOG.info("[{}] leading in term {}: coordinating transactions", nodeId, term);
    }

    /**
     * Stops the engine of {@code term} only: a FENCED answer to that engine's append may reach this
     * thread after a later term's engine took over, and must not stop that one.
     */
    void stepDownFrom(long term, String why) {
        CoordinatorEngine current = engine;
        if (current != null && current.term() == term) {
            stepDown(why);
        } else {
            LOG.info("[{}] the engine of term {} was fenced ({}), but term {} coordinates now: nothing to stop", nodeId,
                    term, why, current == null ? "none" : String.valueOf(current.term()));
        }
    }

    private void stepDown(String why) {
        CoordinatorEngine current = engine;
        if (current == null) {
            return;
        }
        engine = null;
        current.close();
        LOG.info("[{}] stopped coordinating (term {}): {}", nodeId, current.term(), why);
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
        CoordinatorEngine e = engine;
        m.put("coordinating", e != null);
        m.put("inFlight", e == null ? 0 : e.inFlight());
        m.put("phase2Backlog", e == null ? 0 : e.phase2Backlog());
        m.put("violations", e == null ? List.of() : e.violations().stream().map(v -> Map.of(
                "attemptId", v.attemptId(), "service", v.service().id(), "message", v.message(),
                "sinceMs", v.sinceMs())).toList());
        return m;
    }

    private static Map<String, MetricRegistry> ratisRegistries() {
        Map<String, MetricRegistry> out = new LinkedHashMap<>();
        for (RatisMetricRegistry r : MetricRegistries.global().getMetricRegistries()) {
            out.put(r.getMetricRegistryInfo().getPrefix(), RatisMetricsReporting.dropwizard(r));
        }
        return out;
    }

    /** The term this node coordinates in, or -1 when it does not coordinate. */
    long coordinatingTerm() {
        CoordinatorEngine e = engine;
        return e == null ? -1 : e.term();
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
        leadership.execute(task);
    }

    public String nodeId() {
        return nodeId;
    }

    /** True while this node runs a two-phase-commit engine (it leads and has taken over). */
    public boolean isCoordinating() {
        return engine != null;
    }

    @Override
    public void close() {
        LOG.info("[{}] stopping", nodeId);
        leadership.execute(() -> stepDown("node stopping"));
        leadership.shutdown();
        try {
            leadership.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
