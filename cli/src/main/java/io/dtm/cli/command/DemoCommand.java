package io.dtm.cli.command;

import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.ClusterLauncher;
import io.dtm.cli.submit.SampleOrders;
import io.dtm.cli.cluster.ServiceTotals;
import io.dtm.cli.submit.SubmitPipeline;
import io.dtm.cli.UserException;
import io.dtm.client.DtmClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.rpc.ClusterView;
import io.dtm.protocol.rpc.SubmitRequest;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

/**
 * The product in one command: a local cluster in a temporary directory takes a stream of orders
 * through {@code dtm submit}'s pipeline, loses its leader to SIGKILL in the middle, and still
 * gives every order a final outcome that the four services agree with.
 */
@Command(name = "demo",
        description = {"Run the demo: 3 coordinator nodes and the 4 services in a temporary directory, end to end.",
            "Submits a stream of sample orders (JSON lines, as `dtm submit` reads them) that includes every kind of",
            "failure: insufficient stock, declined, invalid and expired cards, insufficient funds, a duplicate order",
            "id, a past shipping date, a stale version, malformed lines. Kills the leader with SIGKILL in the middle",
            "of the stream, prints each outcome and a summary (counts by status and reason, throughput, latency",
            "percentiles), checks that the services' totals match the committed orders and that resubmitting the",
            "stream changes nothing, then stops everything. Exits 0 when every check passed."},
        footer = {"", "Examples:", "  ./dtm demo",
            "  ./dtm demo --keep                 keep the temporary directory (orders.jsonl, logs, data) afterwards",
            "  ./dtm demo --orders 1000          a longer stream"},
        mixinStandardHelpOptions = true)
public final class DemoCommand implements Callable<Integer> {
    private static final int CONCURRENCY = 32;
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Option(names = "--keep", description = "Keep the temporary cluster directory (orders, logs and data) afterwards.")
    boolean keep;

    @Option(names = "--orders", paramLabel = "N", defaultValue = "210",
            description = "Ordinary orders in the stream, besides the failure cases (at most 900). Default: ${DEFAULT-VALUE}.")
    int ordinary;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private final List<String> failedChecks = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (ordinary < 1 || ordinary > 900) {
            throw new UserException("--orders must be between 1 and 900, got " + ordinary, 2);
        }
        out = spec.commandLine().getOut();
        Path root = Files.createTempDirectory("dtm-demo-");
        ClusterDir dir = new ClusterDir(root);
        ClusterLauncher launcher = new ClusterLauncher(dir, out);
        try {
            ClusterConfig config = launcher.prepare(choosePorts(ClusterConfig.loadDefault()));
            heading("1. Start three coordinator nodes and the four services in " + root);
            long t0 = System.nanoTime();
            launcher.awaitLeader(config, launcher.startMissing(config));
            out.printf("leaders elected (%s), cluster ready in %d ms%n",
                    leaders(launcher.awaitView(config, List.of(), ClusterView::everyGroupLed, "no leader of every group,")),
                    millisSince(t0));

            List<SampleOrders.Sample> samples = SampleOrders.stream(ordinary, 42, LocalDate.now(ZoneOffset.UTC), "demo-");
            Path orders = root.resolve("orders.jsonl");
            Files.write(orders, samples.stream().map(SampleOrders.Sample::json).toList(), StandardCharsets.UTF_8);
            heading("2. Submit " + samples.size() + " orders from " + orders + ", " + CONCURRENCY + " in flight;"
                    + " SIGKILL a leader in the middle");
            Map<String, Long> before = totalsWhenSettled(config, launcher);
            Run first;
            try (DtmClient client = new DtmClient(config, Duration.ofSeconds(15), DEADLINE)) {
                first = submit(client, samples, () -> killLeader(config, dir, launcher));
            }
            summary(first);
            check(first.outcomes(), samples);

            heading("3. The services agree with what was printed");
            Map<String, Long> settled = totalsWhenSettled(config, launcher);
            compareTotals(before, settled, first);

            heading("4. Restart the killed node and resubmit the whole stream: nothing changes");
            launcher.awaitLeader(config, launcher.startMissing(config));
            Run again;
            try (DtmClient client = new DtmClient(config, Duration.ofSeconds(15), DEADLINE)) {
                again = submit(client, samples, null);
            }
            long same = samples.stream().filter(s -> sameOutcome(first.outcomes().get(s.line()),
                    again.outcomes().get(s.line()))).count();
            verify(same == samples.size(), "every resubmitted line gets the outcome it got the first time (" + same
                    + " of " + samples.size() + ")");
            Map<String, Long> after = totalsWhenSettled(config, launcher);
            verify(after.equals(settled), "the services' totals are unchanged by the resubmission");
            out.printf("%d of %d outcomes identical, in %.2f s; the services' totals are unchanged%n", same,
                    samples.size(), again.summary().seconds());
        } finally {
            heading("Stop");
            launcher.stopAll(Duration.ofSeconds(10));
            if (keep || !failedChecks.isEmpty()) {
                out.println("cluster directory kept: " + root);
            } else {
                deleteRecursively(root);
            }
            out.flush();
        }
        if (!failedChecks.isEmpty()) {
            out.println("FAILED checks:");
            failedChecks.forEach(c -> out.println("  - " + c));
            return 1;
        }
        out.println("demo finished: every check passed");
        return 0;
    }

    /** One pass over the stream: the summary, every printed outcome and the committed requests, by line. */
    private record Run(SubmitPipeline.Summary summary, Map<Integer, Map<String, Object>> outcomes,
            Map<Integer, SubmitRequest> committed) {
    }

    /** Runs the stream; with {@code midway}, prints every outcome and runs it when 40% of the lines are sent. */
    private Run submit(DtmClient client, List<SampleOrders.Sample> samples, Runnable midway)
            throws IOException, InterruptedException {
        boolean print = midway != null;
        Map<Integer, Map<String, Object>> outcomes = new ConcurrentHashMap<>();
        Map<Integer, SubmitRequest> committed = new ConcurrentHashMap<>();
        SubmitPipeline pipeline = new SubmitPipeline(client, CONCURRENCY, (line, request, result, json) -> {
            outcomes.put(line, json);
            if ("COMMITTED".equals(json.get("status"))) {
                committed.put(line, request);
            }
            if (print) {
                out.printf("%5d %-10s %-9s %2s %8.1f ms  %s%n", line, Objects.toString(json.get("tid"), "-"),
                        json.get("status"), json.get("attempts"), (Double) json.get("latencyMs"),
                        Objects.toString(json.get("error"), ""));
            }
        });
        String text = String.join("\n", samples.stream().map(SampleOrders.Sample::json).toList());
        int killAt = samples.size() * 2 / 5;
        SubmitPipeline.Summary summary = pipeline.run(new StringReader(text), line -> {
            if (print && line == killAt) {
                out.printf("----- %d transactions in flight -----%n", pipeline.inFlight());
                midway.run();
            }
        });
        out.flush();
        return new Run(summary, outcomes, committed);
    }

    /** "log group 0: n1, 1: n2, 2: n3", or "n1" with one group. */
    private static String leaders(ClusterView view) {
        if (view.groups() == 1) {
            return view.leaderOf(0).map(ClusterView.GroupLeader::nodeId).orElse("none");
        }
        List<String> each = new ArrayList<>();
        for (int g = 0; g < view.groups(); g++) {
            each.add((g == 0 ? "log group 0: " : g + ": ") + view.leaderOf(g).map(ClusterView.GroupLeader::nodeId)
                    .orElse("none"));
        }
        return String.join(", ", each);
    }

    /**
     * SIGKILLs the node leading the most log groups (with one group, the leader), then says when each
     * of its groups has a new leader; the other groups' leaders never stop.
     */
    private void killLeader(ClusterConfig config, ClusterDir dir, ClusterLauncher launcher) {
        try {
            ClusterView view = launcher.awaitView(config, List.of(), ClusterView::everyGroupLed, "no leader of every group,");
            String leader = view.busiestLeader().orElseThrow(() -> new UserException("no node leads a log group"));
            List<Integer> led = view.groupsLedBy().getOrDefault(leader, List.of());
            ProcessHandle process = dir.running(leader)
                    .orElseThrow(() -> new UserException("leader " + leader + " has no running process"));
            out.printf("----- SIGKILL %s, the leader of log group%s %s (pid %d) -----%n", leader,
                    led.size() == 1 ? "" : "s", led.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b)
                            .orElse(""), process.pid());
            long t0 = System.nanoTime();
            process.destroyForcibly();
            CompletableFuture.runAsync(() -> {
                try {
                    ClusterView after = launcher.awaitView(config, List.of(), v -> led.stream().allMatch(g -> v.leaderOf(g)
                            .filter(l -> !l.nodeId().equals(leader) && l.status().getLeaderReady()).isPresent()),
                            "no new leader");
                    List<String> next = new ArrayList<>();
                    for (int g : led) {
                        ClusterView.GroupLeader l = after.leaderOf(g).orElseThrow();
                        next.add((config.log().groups() == 1 ? "new leader " : "log group " + g + " led by ") + l.nodeId()
                                + " (term " + l.status().getTerm() + ")");
                    }
                    out.printf("----- %s, ready %d ms after the kill%s -----%n", String.join(", ", next),
                            millisSince(t0), config.log().groups() > led.size() ? "; the other groups never stopped" : "");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void check(Map<Integer, Map<String, Object>> outcomes, List<SampleOrders.Sample> samples) {
        List<String> problems = SampleOrders.mismatches(samples, outcomes, true);
        problems.forEach(p -> verify(false, p));
        long failover = outcomes.values().stream()
                .filter(o -> Objects.toString(o.get("error"), "").contains(SampleOrders.FAILOVER)).count();
        long unknown = outcomes.values().stream().filter(o -> "UNKNOWN".equals(o.get("status"))).count();
        verify(unknown == 0, "no outcome is UNKNOWN (" + unknown + " are)");
        // The demo's load is far below the leader's room: a line that never got through is a failure too.
        long overloaded = outcomes.values().stream().filter(o -> "OVERLOADED".equals(o.get("status"))).count();
        verify(overloaded == 0, "no outcome is OVERLOADED (" + overloaded + " are)");
        out.printf("%nevery line got the outcome it must: %s; %d aborted by the failover (in flight, undecided)%n",
                problems.isEmpty() ? "yes" : "NO, " + problems.size() + " did not", failover);
    }

    private void summary(Run run) {
        heading("Summary");
        SubmitPipeline.Summary s = run.summary();
        out.printf("%-8s %s%n", "COUNT", "OUTCOME");
        s.byKind().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()
                        .thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> out.printf("%-8d %s%n", e.getValue(), e.getKey()));
        Histogram h = s.latencyMicros();
        out.printf("%d transactions in %.2f s (%.0f/s), %d committed; a leader failover and cold JVMs included:"
                + " ./dtm bench measures throughput%n", s.total(), s.seconds(), s.perSecond(), s.committed());
        out.printf("latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d in flight)%n",
                h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
                h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, CONCURRENCY);
    }

    /** Waits until no service holds a PREPARED transaction (phase 2 is done everywhere), then reads their totals. */
    private Map<String, Long> totalsWhenSettled(ClusterConfig config, ClusterLauncher launcher)
            throws InterruptedException {
        return ServiceTotals.of(launcher.awaitView(config, List.of(), ServiceTotals::settled, "transactions left in doubt"));
    }

    private void compareTotals(Map<String, Long> before, Map<String, Long> after, Run run) {
        Map<String, Long> printed = ServiceTotals.addedBy(run.committed().values());
        Map<String, Long> grown = ServiceTotals.growth(before, after);
        out.printf("%-24s %14s %14s%n", "committed orders added", "printed", "services");
        for (String key : ServiceTotals.MOVED_BY_COMMITS) {
            out.printf("%-24s %,14d %,14d%n", key, printed.get(key), grown.get(key));
            verify(printed.get(key).equals(grown.get(key)), key + ": the committed orders printed add " + printed.get(key)
                    + ", the services grew by " + grown.get(key));
        }
        for (String held : ServiceTotals.ZERO_WHEN_SETTLED) {
            verify(after.getOrDefault(held, -1L) == 0, held + " is 0 once every transaction finished, got "
                    + after.get(held));
        }
        verify(ServiceTotals.conserved(after), "stock and money are conserved");
        out.println("nothing left reserved or held; stock and money conserved");
    }

    private static boolean sameOutcome(Map<String, Object> a, Map<String, Object> b) {
        return a != null && b != null && Objects.equals(a.get("status"), b.get("status"))
                && Objects.equals(a.get("error"), b.get("error"));
    }

    /** The default ports, unless something already listens on them (a cluster of the user's). */
    private ClusterConfig choosePorts(ClusterConfig config) {
        if (config.nodes().stream().allMatch(ClusterLauncher::portsFree)) {
            return config;
        }
        out.println("note: the default ports are taken (is a cluster running?); the demo uses free ports instead");
        return config.withPorts(FreePorts::next);
    }

    private void verify(boolean ok, String what) {
        if (!ok) {
            failedChecks.add(what);
            out.println("CHECK FAILED: " + what);
        }
    }

    private void heading(String text) {
        out.println();
        out.println("== " + text);
        out.flush();
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
