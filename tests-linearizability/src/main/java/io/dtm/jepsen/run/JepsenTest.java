package io.dtm.jepsen.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dtm.config.NodeConfig;
import io.dtm.config.RetentionConfig;
import io.dtm.jepsen.check.Analysis;
import io.dtm.jepsen.check.CheckResult;
import io.dtm.jepsen.check.Observed;
import io.dtm.jepsen.check.Retention;
import io.dtm.jepsen.check.Verdict;
import io.dtm.jepsen.env.Network;
import io.dtm.jepsen.env.Processes;
import io.dtm.jepsen.history.ClientOps;
import io.dtm.jepsen.history.History;
import io.dtm.jepsen.history.HistoryEdn;
import io.dtm.jepsen.history.HistoryJson;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;
import io.dtm.jepsen.report.Report;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * One Jepsen-style test: start the cluster (in network namespaces when possible), run clients
 * against it while the nemeses inject their faults on a schedule, heal everything, let it
 * recover, then read the final state of every replica and service and check the history
 * against it. Everything lands in {@code <store>/<test>/<timestamp>/}.
 */
public final class JepsenTest {
    private static final Logger LOG = LoggerFactory.getLogger(JepsenTest.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * @param nemeses     names from {@link Nemesis#catalog()} (or just {@code all})
     * @param dtm         the command that runs {@code dtm}, e.g. {@code [java, -cp, dtm.jar, io.dtm.cli.Dtm]}
     * @param interval    quiet time before each fault
     * @param faultFor    how long each fault lasts
     * @param recovery    how long the healed cluster may take to leave nothing in doubt
     * @param breakage    "" for the real build; a deliberate bug in the coordinators (e.g.
     *                    {@code commit-before-decision}) to show that the checkers catch it
     * @param maxOutcomes the log's {@code retention.maxOutcomes} for the run (empty: the default);
     *                    small, outcomes leave retention during the run and resubmissions meet
     *                    forgotten tids
     * @param resultCacheSize the leader's {@code resultCacheSize} (empty: 0 with {@code maxOutcomes}
     *                    or a clock-skew nemesis, so that resubmissions are answered by the log,
     *                    else the default)
     * @param logGroups   the log's {@code groups} for the run (empty: the bundled configuration's)
     */
    public record Options(List<String> nemeses, Duration timeLimit, double rate, int concurrency, Path store,
            List<String> dtm, Duration interval, Duration faultFor, Duration recovery, long seed, String breakage,
            OptionalInt maxOutcomes, OptionalInt resultCacheSize, OptionalInt logGroups) {
    }

    /** What a run concluded, and where its files are. */
    public record Result(Verdict verdict, Path dir, Map<String, String> skipped, List<CheckResult> failed) {
        /** 0 valid, 1 invalid, 2 unknown. */
        public int exitCode() {
            return switch (verdict) {
                case VALID -> 0;
                case INVALID -> 1;
                case UNKNOWN -> 2;
            };
        }
    }

    private JepsenTest() {
    }

    public static Result run(Options o) throws Exception {
        Map<String, Nemesis> catalog = Nemesis.catalog();
        List<Nemesis> requested = new ArrayList<>();
        for (String name : o.nemeses()) {
            if (name.equals("all")) {
                requested.addAll(catalog.values());
            } else {
                Nemesis n = catalog.get(name);
                if (n == null) {
                    throw new IllegalArgumentException("unknown nemesis \"" + name + "\" (known: all, "
                            + String.join(", ", catalog.keySet()) + ")");
                }
                requested.add(n);
            }
        }
        String testName = String.join("+", o.nemeses());
        Path dir = o.store().resolve(testName).resolve(LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss")));
        Files.createDirectories(dir);
        Path latest = dir.getParent().resolve("latest");
        Files.deleteIfExists(latest);
        Files.createSymbolicLink(latest, dir.getFileName());

        Optional<String> noNetwork = Network.unsupported();
        Map<String, String> skipped = new LinkedHashMap<>();
        List<Nemesis> nemeses = new ArrayList<>();
        for (Nemesis n : requested) {
            if (n.needsNetwork() && noNetwork.isPresent()) {
                skipped.put(n.name(), noNetwork.get());
            } else {
                nemeses.add(n);
            }
        }
        if (nemeses.isEmpty()) {
            LOG.warn("every nemesis asked for was skipped: {}", skipped);
            writeJson(dir.resolve("results.json"), Map.of("valid", Verdict.UNKNOWN.wire(), "skipped", skipped,
                    "reason", "every nemesis asked for needs what this machine lacks"));
            return new Result(Verdict.UNKNOWN, dir, skipped, List.of());
        }

        Processes.reap(o.store().resolve(testName).resolve(".pids"));
        Network network = noNetwork.isEmpty() ? Network.create(List.of("n1", "n2", "n3", "inventory", "payment",
                "order", "shipping")) : null;
        OptionalInt resultCacheSize = o.resultCacheSize().isPresent() ? o.resultCacheSize()
                : o.maxOutcomes().isPresent() || Nemesis.ClockSkew.any(nemeses) ? OptionalInt.of(0) : OptionalInt.empty();
        TestCluster cluster = TestCluster.create(dir, o.dtm(), network, 3_000, o.breakage(),
                new TestCluster.Tuning(o.maxOutcomes(), resultCacheSize, o.logGroups()));
        Thread cleanup = new Thread(() -> {
            cluster.close();
            if (network != null) {
                network.close();
            }
        }, "jepsen-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try (BufferedWriter historyFile = Files.newBufferedWriter(dir.resolve("history.jsonl"), StandardCharsets.UTF_8)) {
            Result result = run(o, dir, cluster, nemeses, skipped, HistoryJson.sink(historyFile));
            return result;
        } finally {
            cleanup.run();
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
    }

    private static Result run(Options o, Path dir, TestCluster cluster, List<Nemesis> nemeses,
            Map<String, String> skipped, java.util.function.Consumer<Op> sink) throws Exception {
        Random random = new Random(o.seed());
        LOG.info("starting the cluster in {}", dir);
        cluster.startAll();
        cluster.awaitReady(Duration.ofSeconds(90));
        Map<String, Long> before = cluster.totals();

        History history = new History(System::nanoTime, sink);
        Workload workload = new Workload(o.seed(), LocalDate.now(ZoneOffset.UTC), 10);
        Clients clients = new Clients(cluster, history, workload, o.concurrency(), o.rate());
        clients.start();
        long end = System.nanoTime() + o.timeLimit().toNanos();
        Nemesis active = null;
        int next = 0;
        try {
            while (true) {
                if (!sleepUntil(Math.min(end, System.nanoTime() + o.interval().toNanos()), end)) {
                    break;
                }
                active = nemeses.get(next++ % nemeses.size());
                Op start = history.nemesis("start-" + active.name(), null, null);
                Map<String, Object> what;
                try {
                    what = active.start(cluster, random);
                } catch (Exception e) {
                    what = Map.of("error", String.valueOf(e));
                    LOG.warn("nemesis {} failed to start: {}", active.name(), e.toString());
                }
                history.complete(start, OpType.INFO, what, null);
                LOG.info("nemesis {}: {}", active.name(), what);
                sleepUntil(Math.min(end, System.nanoTime() + o.faultFor().toNanos()), Long.MAX_VALUE);
                stopNemesis(history, cluster, active);
                active = null;
            }
        } finally {
            if (active != null) {
                stopNemesis(history, cluster, active);
            }
        }
        clients.stop(Clients.SUBMIT_DEADLINE.plusSeconds(10));

        // Final heal: every process running and resumed, every link back.
        Op heal = history.nemesis("heal", null, null);
        cluster.names().forEach(cluster.processes()::resume);
        cluster.network().ifPresent(Network::heal);
        List<String> clocksRestored = cluster.restoreClocks(); // a clock nemesis that failed to stop
        cluster.names().forEach(cluster.processes()::start);
        history.complete(heal, OpType.INFO, Map.of("healed", cluster.names(), "clocksRestored", clocksRestored), null);
        cluster.awaitReady(Duration.ofSeconds(90));

        long recoveryStart = System.nanoTime();
        long recoveryEnd = recoveryStart + o.recovery().toNanos();
        // Recovered: nothing left in doubt, and every replica caught up (a restarted node far behind
        // holds back every commit until it has caught up, since the majority needs it).
        // With several groups, healed also means each group back on its preferred leader (a hand-back
        // drains its group first, so it aborts nothing, but it holds new transactions for a moment:
        // the probes measure the healed cluster, not that).
        while ((cluster.preparedCount() != 0 || !cluster.converged() || !cluster.balanced())
                && System.nanoTime() < recoveryEnd) {
            TimeUnit.MILLISECONDS.sleep(200);
        }
        long recoveredMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - recoveryStart);
        if (System.nanoTime() >= recoveryEnd) {
            // Not a verdict (the checkers judge what is left), but a run that waits out its whole
            // recovery bound is slow for a reason worth seeing.
            LOG.warn("recovery did not finish within {} s: prepared at the services {}, replicas converged {},"
                    + " groups on their preferred leaders {}", o.recovery().toSeconds(), cluster.preparedCount(),
                    cluster.converged(), cluster.balanced());
        }
        int probeProcess = o.concurrency();
        for (int i = 1; i <= 5; i++) {
            clients.submitRecorded(probeProcess, ClientOps.PROBE, workload.plain("probe-" + i));
        }
        finalReads(clients, cluster, o.concurrency() + 1);
        clients.close();
        cluster.awaitConverged(Duration.ofSeconds(60));

        Observed observed = new Observed(cluster.readLogs(), cluster.readParticipants(), before, cluster.totals());
        List<Op> ops = history.ops();
        RetentionConfig retention = cluster.config().log().retention();
        Analysis analysis = Analysis.of(ops, observed, Set.copyOf(TestCluster.NODES),
                new Retention(retention.maxOutcomes(), retention.maxAgeMs()), System::nanoTime,
                System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
        Map<String, Object> results = new LinkedHashMap<>(analysis.toJson());
        results.put("skipped", skipped);
        results.put("nemeses", nemeses.stream().map(Nemesis::name).toList());
        results.put("network", cluster.network().isPresent() ? "namespaces" : "127.0.0.1 (no partitions)");
        results.put("recoveryMs", recoveredMs);
        if (!o.breakage().isEmpty()) {
            results.put("breakage", o.breakage());
        }
        results.put("options", Map.of("timeLimitSeconds", o.timeLimit().toSeconds(), "rate", o.rate(),
                "concurrency", o.concurrency(), "seed", o.seed()));
        results.put("retention", Map.of("maxOutcomes", retention.maxOutcomes(), "maxAgeMs", retention.maxAgeMs(),
                "maxForgotten", retention.maxForgotten(), "resultCacheSize", cluster.config().coordinator().resultCacheSize()));
        writeJson(dir.resolve("results.json"), results);
        try (BufferedWriter edn = Files.newBufferedWriter(dir.resolve("history.edn"), StandardCharsets.UTF_8)) {
            for (Op op : ops) {
                edn.write(HistoryEdn.line(op));
                edn.write('\n');
            }
        }
        Report.write(dir, ops, analysis, results);
        LOG.info("result: {} ({})", analysis.verdict().wire(), dir);
        return new Result(analysis.verdict(), dir, skipped,
                analysis.results().stream().filter(r -> r.verdict() != Verdict.VALID).toList());
    }

    private static void stopNemesis(History history, TestCluster cluster, Nemesis n) {
        Op stop = history.nemesis("stop-" + n.name(), null, null);
        try {
            n.stop(cluster);
            history.complete(stop, OpType.INFO, null, null);
        } catch (Exception e) {
            history.complete(stop, OpType.INFO, Map.of("error", String.valueOf(e)), null);
            LOG.warn("nemesis {} failed to stop: {}", n.name(), e.toString());
        }
    }

    /** Every tid's status once more, through the leader, after the heal: the register's last word. */
    private static void finalReads(Clients clients, TestCluster cluster, int firstProcess) throws InterruptedException {
        List<String> tids = clients.tids().stream().distinct().toList();
        NodeConfig leader = cluster.config().node(cluster.leader().orElse(TestCluster.NODES.get(0)));
        int threads = 32;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        for (int t = 0; t < threads; t++) {
            int process = firstProcess + t;
            int offset = t;
            List<String> share = new ArrayList<>();
            for (int i = offset; i < tids.size(); i += threads) {
                share.add(tids.get(i));
            }
            pool.execute(() -> clients.readAll(process, share, leader));
        }
        pool.shutdown();
        pool.awaitTermination(5, TimeUnit.MINUTES);
    }

    /** Sleeps until {@code until}; false when {@code end} has passed first. */
    private static boolean sleepUntil(long until, long end) throws InterruptedException {
        long wait = until - System.nanoTime();
        if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
        return System.nanoTime() < end;
    }

    private static void writeJson(Path file, Object value) throws IOException {
        JSON.writeValue(file.toFile(), value);
    }
}
