package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.Json;
import io.dtm.cli.UserException;
import io.dtm.cli.cluster.LeaderKill;
import io.dtm.cli.load.FloorProbe;
import io.dtm.cli.load.LatencyFloor;
import io.dtm.cli.load.LogLoad;
import io.dtm.cli.load.PrepareLoad;
import io.dtm.cli.load.TwoPhaseLoad;
import io.dtm.client.DtmClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.Durations;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.ServiceName;
import io.dtm.log.TxnLogClient;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "bench",
        description = {"Load generator against a running cluster.",
            "By default, realistic orders through two-phase commit: closed loop (--concurrency in flight), or open",
            "loop (--rate orders a second whatever the answers; latency counts from when each order was due).",
            "--log-only pushes the records of a transaction (Begin, Decide, End) through the replicated log,",
            "with no participants: the log's own limit. --participant SERVICE prepares and commits against one",
            "service alone: its synced-write limit.",
            "After the load, a probe (about 8 s; --no-floor skips it) measures, one request at a time, the pieces",
            "a transaction cannot go below: an fsync in the cluster's data directory, a round trip to a node, one",
            "log append, a PREPARE at each service; the floor of a two-phase commit is max(Begin, PREPARE) +",
            "Decide + reply (one service: Begin + PREPARE + Decide + reply), and the run's p50 is given over it.",
            "Every run also gives its rate over each 10 s from its first request, warm-up included."},
        footer = {"", "Examples:",
            "  ./dtm cluster start && ./dtm bench --duration 30s --concurrency 64",
            "  ./dtm bench --rate 500 --duration 60s                open loop: 500 orders a second",
            "  ./dtm bench --hot-set 10 --json                     every order on one of 10 SKUs and accounts",
            "  ./dtm bench --services payment                      one service: one-phase commit",
            "  ./dtm bench --log-only --duration 30s",
            "  ./dtm bench --log-only --no-group-commit --concurrency 64 --json",
            "  ./dtm bench --participant inventory --concurrency 64",
            "  ./dtm bench --no-floor --warmup 0s --duration 10s    a quick run, without the floor probe",
            "  ./dtm bench --duration 60s --kill-leader-after 30s   recovery at full load (the leader stays down)",
            "", "Throughput on the JVM settles only after 30-40 s of load: keep --warmup long when comparing runs."},
        mixinStandardHelpOptions = true)
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--log-only", description = "Drive the replicated log alone.")
    boolean logOnly;

    @Option(names = "--participant", paramLabel = "SERVICE",
            description = "Drive one participant service alone: PREPARE then COMMIT, closed loop.")
    String participant;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured time. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Unmeasured load before measuring. Default: ${DEFAULT-VALUE}.")
    Duration warmup;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "64",
            description = "Transactions in flight (closed loop). Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--rate", paramLabel = "R",
            description = "Open loop: R orders a second, sent whatever the answers (instead of --concurrency).")
    Double rate;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "10000",
            description = "With --rate: an order due while N are unanswered is not sent, and counted as not sent. "
                    + "Default: ${DEFAULT-VALUE}.")
    int maxInFlight;

    @Option(names = "--no-group-commit",
            description = "One record per Raft entry (entries still pipelined), to measure what group commit buys.")
    boolean noGroupCommit;

    @Option(names = "--kill-leader-after", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Two-phase-commit load: SIGKILL the leader's process this long into the measured time, and "
                    + "report how long until another node leads, when a new transaction first commits, and when every "
                    + "transaction in flight at the kill had its outcome. The killed node stays down "
                    + "(./dtm cluster start brings it back).")
    Duration killLeaderAfter;

    @Option(names = "--no-floor", description = "Skip the latency-floor probe after the load.")
    boolean noFloor;

    @Option(names = "--json", description = "Print one JSON object with the results.")
    boolean json;

    @Option(names = "--services", paramLabel = "LIST", split = ",", defaultValue = "inventory,payment,order,shipping",
            description = "Services in each order (two-phase-commit load). Default: ${DEFAULT-VALUE}.")
    List<String> services;

    @Option(names = "--hot-set", paramLabel = "N", defaultValue = "0",
            description = "Orders use one of N SKUs and accounts (0: spread over 1,000). They name no version, so they "
                    + "share those records (escrow) rather than lock them. Default: ${DEFAULT-VALUE}.")
    int hotSet;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (logOnly && participant != null) {
            throw new UserException("--log-only and --participant are different loads: choose one", 2);
        }
        if (concurrency < 1) {
            throw new UserException("--concurrency must be at least 1", 2);
        }
        if (rate != null) {
            if (logOnly || participant != null) {
                throw new UserException("--rate drives the two-phase-commit load; drop --log-only or --participant", 2);
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--concurrency")) {
                throw new UserException("--concurrency (closed loop) and --rate (open loop) are different loads: "
                        + "choose one", 2);
            }
            if (!(rate > 0) || rate > 1_000_000) {
                throw new UserException("--rate must be between 0 and 1000000 orders a second, got " + rate, 2);
            }
            if (maxInFlight < 1) {
                throw new UserException("--max-in-flight must be at least 1", 2);
            }
        }
        if (killLeaderAfter != null && (logOnly || participant != null)) {
            throw new UserException("--kill-leader-after measures recovery of the two-phase-commit load; "
                    + "drop --log-only or --participant", 2);
        }
        if (killLeaderAfter != null && (killLeaderAfter.isNegative() || killLeaderAfter.compareTo(duration) >= 0)) {
            throw new UserException("--kill-leader-after must fall inside the measured --duration ("
                    + Durations.format(duration) + "), got " + Durations.format(killLeaderAfter), 2);
        }
        if (participant != null) {
            return benchParticipant();
        }
        if (!logOnly) {
            return benchTwoPhaseCommit();
        }
        ClusterConfig config = withGroupCommit(options.load(), !noGroupCommit, concurrency);
        options.requireCoordinator(config);
        LogLoad.Result result;
        try (TxnLogClient client = TxnLogClient.connect(config, "bench")) {
            String prefix = "bench-" + Long.toString(System.currentTimeMillis(), 36) + "-";
            result = new LogLoad(client, prefix).run(concurrency, warmup, duration);
        }
        // After the load: measured first, in a cold JVM on a cold cluster, a log append read 3-10x high.
        LatencyFloor floor = noFloor ? null : new FloorProbe(config, FloorProbe.Budget.DEFAULT).logOnly();
        print(result, floor);
        return result.transactions() > 0 ? 0 : 1;
    }

    private int benchTwoPhaseCommit() throws Exception {
        List<ServiceName> chosen = new ArrayList<>();
        for (String id : services) {
            chosen.add(ServiceName.fromId(id.trim()).orElseThrow(() -> new UserException("--services: unknown service \""
                    + id + "\" (expected some of: " + ServiceName.knownIds() + ")", 2)));
        }
        ClusterConfig config = options.load();
        options.requireCoordinator(config);
        Duration perRequest = Duration.ofMillis(config.coordinator().transactionTimeoutMs() + 5_000);
        TwoPhaseLoad.Result result;
        TwoPhaseLoad.FaultRecovery recovery = null;
        BenchLeaderKill kill = null;
        // The load, not the client's default bound, decides how many transactions the cluster sees at once.
        int clientRoom = rate == null ? concurrency : maxInFlight;
        try (DtmClient client = new DtmClient(config, perRequest, perRequest.multipliedBy(3), clientRoom)) {
            String prefix = "bench-" + Long.toString(System.currentTimeMillis(), 36) + "-";
            TwoPhaseLoad load = new TwoPhaseLoad(client, chosen, hotSet, prefix);
            if (killLeaderAfter != null) {
                kill = new BenchLeaderKill(new LeaderKill(config, options.clusterDir()), load, warmup, killLeaderAfter);
                kill.start();
            }
            result = rate == null ? load.run(concurrency, warmup, duration)
                    : load.runAtRate(rate, maxInFlight, warmup, duration);
            if (kill != null) {
                kill.join();
                recovery = load.faultRecovery();
            }
        }
        // After the load, on a warm JVM and cluster (see the log-only run).
        LatencyFloor floor = noFloor ? null : new FloorProbe(config, FloorProbe.Budget.DEFAULT).twoPhase(chosen);
        String loop = rate == null ? "concurrency " + concurrency : String.format("open loop at %,.0f orders/s", rate);
        PrintWriter out = spec.commandLine().getOut();
        Histogram h = result.latencyMicros();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("mode", "2pc");
            o.put("services", chosen.stream().map(ServiceName::id).toList());
            if (rate == null) {
                o.put("concurrency", concurrency);
            } else {
                o.put("rate", rate);
                o.put("notSent", result.notSent());
            }
            o.put("hotSet", hotSet);
            o.put("durationSeconds", result.seconds());
            o.put("committed", result.committed());
            o.put("committedPerSecond", result.committedPerSecond());
            o.put("outcomes", result.outcomes());
            o.put("latencyMs", latencies(h));
            o.put("committedEachSecond", result.committedEachSecond());
            if (kill != null) {
                o.put("leaderKill", kill.toJson(recovery));
            }
            o.put("windows", BenchReport.windowsJson(result.windows()));
            if (floor != null) {
                o.put("floor", BenchReport.floorJson(floor, ms(h, 50)));
            }
            out.println(Json.write(o));
        } else {
            out.printf("two-phase commit across %s, %s, %.1f s measured after %s warm-up%n",
                    chosen.stream().map(ServiceName::id).toList(), loop, result.seconds(), Durations.format(warmup));
            out.printf("  committed/s   %,10.0f%n", result.committedPerSecond());
            BenchReport.printWindows(out, result.windows(), "committed/s", "the first order");
            out.printf("  latency       p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
                    ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0);
            if (floor != null) {
                BenchReport.printFloor(out, floor, ms(h, 50));
            }
            result.outcomes().forEach((k, v) -> out.printf("  %-60s %,d%n", k, v));
            if (result.notSent() > 0) {
                out.printf("  not sent: %,d orders fell due while %,d were unanswered: the cluster does not keep up"
                        + " with %,.0f/s%n", result.notSent(), maxInFlight, rate);
            }
            if (kill != null) {
                kill.print(out, recovery);
            }
        }
        out.flush();
        if (kill != null && kill.failure() != null) {
            throw kill.failure();
        }
        return result.committed() > 0 ? 0 : 1;
    }

    private int benchParticipant() throws Exception {
        ServiceName service = ConfigOptions.service(participant);
        ClusterConfig config = options.load();
        PrepareLoad.Result result;
        InspectReply before;
        InspectReply after;
        Duration timeout = Duration.ofMillis(config.timeouts().rpcTimeoutMs());
        // The load plays a coordinator node (PREPARE, ROLLBACK are a node's); the counts are read as the operator.
        try (DtmConnections asNode = CliConnections.openAsNode(config, timeout, "bench-participant");
                DtmConnections asOperator = CliConnections.open(config, timeout);
                ParticipantClient client = asNode.connectParticipant(service, config.service(service)).get();
                ParticipantClient operator = asOperator.connectParticipant(service, config.service(service)).get()) {
            before = operator.inspect().get();
            String prefix = "bench-" + Long.toString(System.currentTimeMillis(), 36) + "-";
            result = new PrepareLoad(client, service, prefix).run(concurrency, warmup, duration);
            after = operator.inspect().get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new UserException(service.id() + " at " + config.service(service).address() + " did not answer: "
                    + e.getCause().getMessage() + ". Is it running? try ./dtm cluster start" + options.asGiven(), 3);
        }
        // After the load and its counts, on a warm JVM (see the log-only run).
        LatencyFloor floor = noFloor ? null : new FloorProbe(config, FloorProbe.Budget.DEFAULT).participant(service);
        long messages = after.getWrittenMessages() - before.getWrittenMessages();
        long writes = after.getWrites() - before.getWrites();
        long fsyncs = after.getFsyncs() - before.getFsyncs();
        double perWrite = writes == 0 ? 0 : (double) messages / writes;
        double perFsync = fsyncs == 0 ? 0 : (double) messages / fsyncs;
        PrintWriter out = spec.commandLine().getOut();
        Histogram h = result.prepareLatencyMicros();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("mode", "participant");
            o.put("service", service.id());
            o.put("concurrency", concurrency);
            o.put("durationSeconds", result.seconds());
            o.put("prepares", result.prepares());
            o.put("preparesPerSecond", result.preparesPerSecond());
            o.put("noVotes", result.noVotes());
            o.put("messagesPerWrite", perWrite);
            o.put("messagesPerFsync", perFsync);
            o.put("prepareLatencyMs", latencies(h));
            o.put("failures", result.failures());
            o.put("windows", BenchReport.windowsJson(result.windows()));
            if (floor != null) {
                o.put("floor", BenchReport.floorJson(floor, null));
            }
            out.println(Json.write(o));
        } else {
            out.printf("%s, concurrency %d, %.1f s measured after %s warm-up (each PREPARE then its COMMIT)%n",
                    service.id(), concurrency, result.seconds(), Durations.format(warmup));
            out.printf("  prepares/s        %,10.0f   (%d voted NO)%n", result.preparesPerSecond(), result.noVotes());
            BenchReport.printWindows(out, result.windows(), "prepares/s", "the first PREPARE");
            out.printf("  messages/write    %10.1f   (PREPAREs and COMMITs per RocksDB write, whole run)%n", perWrite);
            out.printf("  messages/fsync    %10.1f   (PREPAREs are synced; COMMITs ride on the next sync)%n", perFsync);
            out.printf("  prepare latency   p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
                    ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0);
            if (floor != null) {
                BenchReport.printFloor(out, floor, null);
            }
            if (!result.failures().isEmpty()) {
                out.println("  failures          " + result.failures());
            }
        }
        out.flush();
        return result.prepares() > 0 ? 0 : 1;
    }

    /** Group commit off means one record per entry, with as many entries in flight as transactions. */
    static ClusterConfig withGroupCommit(ClusterConfig config, boolean on, int concurrency) {
        GroupCommitConfig gc = config.log().groupCommit();
        GroupCommitConfig chosen = on ? gc : new GroupCommitConfig(1, Math.min(concurrency, 256), gc.replicationIntervalMs());
        return config.withLog(config.log().withGroupCommit(chosen));
    }

    private void print(LogLoad.Result r, LatencyFloor floor) {
        PrintWriter out = spec.commandLine().getOut();
        Histogram h = r.recordLatencyMicros();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("mode", "log-only");
            o.put("groupCommit", !noGroupCommit);
            o.put("concurrency", concurrency);
            o.put("durationSeconds", r.seconds());
            o.put("transactions", r.transactions());
            o.put("transactionsPerSecond", r.transactionsPerSecond());
            o.put("recordsPerSecond", r.recordsPerSecond());
            o.put("recordsPerEntry", r.recordsPerEntry());
            o.put("recordLatencyMs", latencies(h));
            o.put("failures", r.failures());
            o.put("windows", BenchReport.windowsJson(r.windows()));
            if (floor != null) {
                o.put("floor", BenchReport.floorJson(floor, null));
            }
            out.println(Json.write(o));
        } else {
            out.printf("log-only, group commit %s, concurrency %d, %.1f s measured after %s warm-up%n",
                    noGroupCommit ? "off" : "on", concurrency, r.seconds(), Durations.format(warmup));
            out.printf("  transactions/s  %,10.0f   (3 records each)%n", r.transactionsPerSecond());
            BenchReport.printWindows(out, r.windows(), "transactions/s", "the first transaction");
            out.printf("  records/s       %,10.0f%n", r.recordsPerSecond());
            out.printf("  records/entry   %10.1f%n", r.recordsPerEntry());
            out.printf("  record latency  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
                    ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0);
            if (floor != null) {
                BenchReport.printFloor(out, floor, null);
            }
            if (!r.failures().isEmpty()) {
                out.println("  failures        " + r.failures());
            }
        }
        out.flush();
    }

    static Map<String, Double> latencies(Histogram h) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("p50", ms(h, 50));
        m.put("p90", ms(h, 90));
        m.put("p99", ms(h, 99));
        m.put("p999", ms(h, 99.9));
        m.put("max", h.getMaxValue() / 1000.0);
        return m;
    }

    static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }
}
