package io.dtm.cli;

import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.ClusterLauncher;
import io.dtm.cli.cluster.ServiceTotals;
import io.dtm.cli.submit.SampleOrders;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.TimeoutsConfig;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code dtm submit} on real processes (as {@code dtm cluster start} runs them) while the leader is
 * killed with SIGKILL in the middle of the stream: every line still gets its final outcome, the
 * services agree with what was printed, and the same stream submitted again changes nothing. Then
 * {@code dtm bench --kill-leader-after} on the same cluster reports its recovery, and every kind of
 * {@code dtm bench} its latency floor and its rate over each 10 seconds.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SubmitStreamIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    private Path root;
    private ClusterDir dir;
    private ClusterLauncher launcher;
    private ClusterConfig config;
    private DtmConnections connections;

    /** The cluster's files; kept when a test fails, to read its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;

    @BeforeAll
    void startCluster() throws Exception {
        root = tempDir;
        dir = new ClusterDir(root);
        launcher = new ClusterLauncher(dir, new PrintWriter(new StringWriter(), true));
        config = launcher.prepare(ClusterConfig.loadDefault().withPorts(FreePorts::next)
                .withTimeouts(new TimeoutsConfig(1_000, 2_000, 10_000, 90_000)));
        launcher.awaitLeader(config, launcher.startMissing(config));
        connections = DtmConnections.of(config, "admin", Duration.ofSeconds(10), "test");
    }

    @AfterAll
    void stopCluster() {
        if (connections != null) {
            connections.close();
        }
        if (launcher != null) {
            launcher.stopAll(Duration.ofSeconds(5));
        }
    }

    @BeforeEach
    void everyProcessRuns() throws Exception {
        launcher.awaitLeader(config, launcher.startMissing(config)); // whatever an earlier test killed
    }

    @Test
    @Order(1) // its sample orders expect the seeded versions of their SKUs: before the bench changes them
    void aLeaderKilledMidStreamLeavesEveryLineAFinalOutcomeThatTheServicesAgreeWith() throws Exception {
        List<SampleOrders.Sample> samples = SampleOrders.stream(850, 5, LocalDate.now(ZoneOffset.UTC), "kill-");
        Path orders = root.resolve("orders.jsonl");
        Files.write(orders, samples.stream().map(SampleOrders.Sample::json).toList(), StandardCharsets.UTF_8);
        Map<String, Long> before = settledTotals();

        StringWriter out = new StringWriter();
        CompletableFuture<Integer> submit = CompletableFuture.supplyAsync(() -> {
            CommandLine cli = Dtm.commandLine();
            cli.setOut(new PrintWriter(out));
            cli.setErr(new PrintWriter(new StringWriter()));
            return cli.execute("submit", orders.toString(), "--dir", root.toString(), "--concurrency", "64");
        });
        await("the first outcomes").atMost(WAIT).until(() -> lines(out) >= 100);
        String leader = launcher.awaitLeader(config, List.of()).getNodeId();
        ProcessHandle process = dir.running(leader).orElseThrow();
        process.destroyForcibly();
        process.onExit().join();
        int printedAtKill = lines(out);
        int exitCode = submit.get(3, TimeUnit.MINUTES);

        assertThat(printedAtKill).as("the leader died in the middle of the stream").isLessThan(samples.size() - 64);
        assertThat(exitCode).isZero();
        Map<Integer, Map<String, Object>> outcomes = SubmitCommandTest.byLine(out.toString());
        assertThat(outcomes).hasSize(samples.size());
        assertThat(outcomes.values()).extracting(o -> o.get("status")).doesNotContain("UNKNOWN");
        assertThat(SampleOrders.mismatches(samples, outcomes, true)).isEmpty();
        assertThat(outcomes.values()).filteredOn(o -> "COMMITTED".equals(o.get("status")))
                .hasSizeGreaterThan(samples.size() / 2);

        Map<String, Long> after = settledTotals();
        assertThat(ServiceTotals.growth(before, after))
                .isEqualTo(ServiceTotals.addedBy(SubmitCommandTest.committedRequests(samples, outcomes)));
        for (String key : ServiceTotals.ZERO_WHEN_SETTLED) {
            assertThat(after.get(key)).as(key).isZero();
        }
        assertThat(ServiceTotals.conserved(after)).as("stock and money conserved: " + after).isTrue();

        CliRun again = CliRun.of("submit", orders.toString(), "--dir", root.toString(), "--concurrency", "64");
        assertThat(again.exitCode()).isZero();
        Map<Integer, Map<String, Object>> second = SubmitCommandTest.byLine(again.out());
        for (SampleOrders.Sample s : samples) {
            Map<String, Object> was = outcomes.get(s.line());
            Map<String, Object> is = second.get(s.line());
            assertThat(is).as("line " + s.line() + " resubmitted").containsEntry("status", was.get("status"));
            assertThat(is.get("error")).as("line " + s.line() + " resubmitted").isEqualTo(was.get("error"));
        }
        assertThat(settledTotals()).isEqualTo(after);
    }

    @Test
    @Order(2)
    @SuppressWarnings("unchecked")
    void benchKillingTheLeaderReportsTheOutcomeOfEveryTransactionInFlightAtTheKill() throws Exception {
        // Every group on its preferred leader (a node an earlier test killed may have come back with
        // its group still elsewhere), so that which node the bench kills does not change meanwhile:
        // the one leading the most groups, the first in the configuration on a tie.
        String leaderBefore = launcher.awaitView(config, List.of(), view -> java.util.stream.IntStream
                        .range(0, config.log().groups()).allMatch(g -> view.leaderOf(g)
                                .filter(l -> l.nodeId().equals(config.groupMembers(g).get(0))).isPresent()),
                "the groups did not go back to their preferred leaders,").busiestLeader().orElseThrow();

        CliRun bench = CliRun.of("bench", "--dir", root.toString(), "--warmup", "1s", "--duration", "12s",
                "--kill-leader-after", "2s", "--concurrency", "32", "--json");

        assertThat(bench.exitCode()).as(bench.err()).isZero();
        Map<String, Object> result = Json.MAPPER.readValue(bench.out(), Map.class);
        System.out.println("bench with a leader kill: " + bench.out());
        assertThat((List<?>) result.get("committedEachSecond")).hasSize(12);
        Map<String, Object> kill = (Map<String, Object>) result.get("leaderKill");
        assertThat(kill.get("killed")).isEqualTo(leaderBefore);
        assertThat(ProcessHandle.of(((Number) kill.get("pid")).longValue()).map(ProcessHandle::isAlive))
                .as("the killed process is gone").isNotEqualTo(java.util.Optional.of(true));
        assertThat((String) kill.get("newLeader")).as("each group's new leader").isNotNull()
                .doesNotContain(leaderBefore + " ").isNotEqualTo(leaderBefore);
        assertThat(((Number) kill.get("newLeaderMs")).doubleValue()).isPositive();
        assertThat(((Number) kill.get("firstCommitAfterKillMs")).doubleValue()).as("a new order committed").isPositive();
        Map<String, Number> inFlight = (Map<String, Number>) kill.get("inFlightOutcomes");
        assertThat(inFlight.keySet()).as("every order in flight at the kill got a final outcome")
                .allMatch(k -> k.startsWith("COMMITTED") || k.startsWith("ABORTED"));
        assertThat(inFlight.values().stream().mapToLong(Number::longValue).sum())
                .isEqualTo(((Number) kill.get("inFlightAtKill")).longValue()).isBetween(1L, 32L);
        assertThat(kill.get("unanswered")).isEqualTo(0);
        assertThat(((Number) kill.get("lastInFlightOutcomeMs")).doubleValue()).isPositive();

        // 13 s of load from the first order: one whole window, the warm-up's; the 3 s left are too short.
        List<Map<String, Object>> windows = (List<Map<String, Object>>) result.get("windows");
        assertThat(windows).hasSize(1);
        assertThat(windows.get(0)).containsEntry("fromSecond", 0).containsEntry("toSecond", 10)
                .containsEntry("warmup", true);
        assertThat(((Number) windows.get(0).get("perSecond")).doubleValue()).isPositive();
        Map<String, Object> floor = (Map<String, Object>) result.get("floor");
        assertThat(floor.get("fsyncDir")).isEqualTo(root.resolve("data").toString());
        for (String piece : List.of("fsyncMs", "roundTripMs", "logAppendMs")) {
            assertPositivePiece(floor, piece);
        }
        Map<String, Object> prepare = (Map<String, Object>) floor.get("prepareMs");
        assertThat(prepare).containsOnlyKeys("inventory", "payment", "order", "shipping");
        for (String service : prepare.keySet()) {
            assertPositivePiece(prepare, service);
        }
        assertThat(((Number) floor.get("floorMs")).doubleValue()).isPositive();
        assertThat(((Number) floor.get("p50OverFloor")).doubleValue()).isPositive();
    }

    @Test
    @Order(3)
    @SuppressWarnings("unchecked")
    void theLogOnlyAndTheParticipantLoadsReportTheFloorPiecesTheyStandOn() throws Exception {
        CliRun logOnly = CliRun.of("bench", "--dir", root.toString(), "--log-only", "--warmup", "0s", "--duration", "5s",
                "--concurrency", "1", "--json");
        assertThat(logOnly.exitCode()).as(logOnly.err()).isZero();
        Map<String, Object> result = Json.MAPPER.readValue(logOnly.out(), Map.class);
        Map<String, Object> floor = (Map<String, Object>) result.get("floor");
        assertThat(floor).containsKeys("fsyncMs", "roundTripMs", "logAppendMs").doesNotContainKeys("prepareMs", "floorMs");
        for (String piece : List.of("fsyncMs", "roundTripMs", "logAppendMs")) {
            assertPositivePiece(floor, piece);
        }
        assertThat((List<?>) result.get("windows")).as("5 s: one window, of its true length").hasSize(1);

        CliRun participant = CliRun.of("bench", "--dir", root.toString(), "--participant", "inventory", "--warmup", "0s",
                "--duration", "2s", "--concurrency", "1", "--json");
        assertThat(participant.exitCode()).as(participant.err()).isZero();
        result = Json.MAPPER.readValue(participant.out(), Map.class);
        floor = (Map<String, Object>) result.get("floor");
        assertThat(floor).containsKeys("fsyncMs", "prepareMs").doesNotContainKeys("roundTripMs", "logAppendMs", "floorMs");
        assertPositivePiece(floor, "fsyncMs");
        assertPositivePiece((Map<String, Object>) floor.get("prepareMs"), "inventory");
        assertThat((List<?>) result.get("windows")).as("2 s: too short for a window").isEmpty();

        CliRun quick = CliRun.of("bench", "--dir", root.toString(), "--participant", "inventory", "--warmup", "0s",
                "--duration", "1s", "--concurrency", "1", "--no-floor");
        assertThat(quick.exitCode()).as(quick.err()).isZero();
        assertThat(quick.out()).doesNotContain("latency floor");
    }

    @SuppressWarnings("unchecked")
    private static void assertPositivePiece(Map<String, Object> parent, String key) {
        Map<String, Object> piece = (Map<String, Object>) parent.get(key);
        assertThat(piece).as(key).containsOnlyKeys("p50", "p99");
        assertThat(((Number) piece.get("p50")).doubleValue()).as(key + " p50").isPositive();
        assertThat(((Number) piece.get("p99")).doubleValue()).as(key + " p99")
                .isGreaterThanOrEqualTo(((Number) piece.get("p50")).doubleValue());
    }

    private static int lines(StringWriter out) {
        return (int) out.toString().chars().filter(c -> c == '\n').count();
    }

    private Map<String, Long> settledTotals() {
        return ServiceTotals.of(await("no transaction in doubt").atMost(WAIT)
                .until(() -> ClusterStatusReader.read(config, connections), ServiceTotals::settled));
    }
}
