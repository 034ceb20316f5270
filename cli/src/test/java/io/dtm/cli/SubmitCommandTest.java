package io.dtm.cli;

import io.dtm.cli.cluster.ServiceTotals;
import io.dtm.cli.submit.OrderJson;
import io.dtm.cli.submit.SampleOrders;
import io.dtm.cli.submit.SubmitPipeline;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.rpc.ClusterStatusReader;

import com.fasterxml.jackson.core.type.TypeReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code dtm submit} against a real cluster (three nodes, four services, in this JVM): JSON lines in, outcomes out. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SubmitCommandTest {
    private static final TypeReference<Map<String, Object>> JSON_OBJECT = new TypeReference<>() {
    };

    private Path dir;
    private Path config;
    private InProcessCluster cluster;
    private final LocalDate today = LocalDate.now(ZoneOffset.UTC);

    /** The cluster's files; kept when a test fails, to read its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;

    @BeforeAll
    void start() throws Exception {
        dir = tempDir;
        cluster = new InProcessCluster(dir.resolve("cluster"), 30_000).startAll();
        config = dir.resolve("cluster.yaml");
        Files.writeString(config, cluster.config.toYaml());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyKindOfOutcomeGetsTheRightStatusAndMessageOnItsLine() throws Exception {
        List<SampleOrders.Sample> samples = SampleOrders.stream(40, 7, today, "kinds-");
        Path orders = write("kinds.jsonl", samples);
        Map<String, Long> before = settledTotals();

        CliRun run = CliRun.of("submit", orders.toString(), "--config", config.toString(), "--concurrency", "8");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<Integer, Map<String, Object>> outcomes = byLine(run.out());
        assertThat(outcomes).hasSize(samples.size());
        assertThat(SampleOrders.mismatches(samples, outcomes, false)).isEmpty();

        Map<String, Object> committed = outcomes.get(lineOf(samples, SampleOrders.Expect.committed()));
        assertThat(committed).doesNotContainKey("error").containsEntry("attempts", 1);
        assertThat((Double) committed.get("latencyMs")).isPositive();
        assertThat(participants(committed)).isNotEmpty()
                .allSatisfy(p -> assertThat(p).containsEntry("vote", "YES").containsEntry("code", "YES"));

        Map<String, Object> declined = outcomes.get(lineOf(samples, SampleOrders.Expect.aborted("payment: CARD_DECLINED")));
        assertThat(declined.get("error")).isEqualTo("payment: CARD_DECLINED: card ending 0002 declined by issuer");
        assertThat(participants(declined)).anySatisfy(p -> assertThat(p).containsEntry("service", "payment")
                .containsEntry("vote", "NO").containsEntry("code", "CARD_DECLINED")
                .containsEntry("message", "card ending 0002 declined by issuer"));

        Map<String, Object> stale = outcomes.get(lineOf(samples, SampleOrders.Expect.aborted("inventory: STALE_VERSION")));
        assertThat(participants(stale)).anySatisfy(p -> assertThat(p).containsEntry("code", "STALE_VERSION")
                .containsEntry("record", "sku-0907").containsEntry("currentVersion", 1));

        int malformed = lineOf(samples, SampleOrders.Expect.rejected("not valid JSON"));
        assertThat(outcomes.get(malformed)).containsEntry("status", "REJECTED").containsEntry("attempts", 0)
                .containsEntry("line", malformed);
        assertThat(outcomes.get(malformed).get("error").toString()).startsWith("line " + malformed + ": not valid JSON");

        assertThat(run.out()).doesNotContain("4000000000000002").doesNotContain(SampleOrders.GOOD_CARD);
        assertThat(growth(before)).isEqualTo(ServiceTotals.addedBy(committedRequests(samples, outcomes)));
    }

    @Test
    void aResubmittedStreamChangesNothing() throws Exception {
        List<SampleOrders.Sample> samples = SampleOrders.ordinaryOnly(60, 11, today, "again-");
        Path orders = write("again.jsonl", samples);
        CliRun first = CliRun.of("submit", orders.toString(), "--config", config.toString());
        Map<String, Long> afterFirst = settledTotals();

        CliRun second = CliRun.of("submit", orders.toString(), "--config", config.toString());

        assertThat(second.exitCode()).isZero();
        Map<Integer, Map<String, Object>> was = byLine(first.out());
        Map<Integer, Map<String, Object>> is = byLine(second.out());
        assertThat(was).hasSize(60).allSatisfy((line, o) -> assertThat(o).containsEntry("status", "COMMITTED"));
        for (int line : was.keySet()) {
            assertThat(is.get(line)).as("line " + line).containsEntry("tid", was.get(line).get("tid"))
                    .containsEntry("status", "COMMITTED").doesNotContainKey("error");
        }
        assertThat(settledTotals()).isEqualTo(afterFirst);
    }

    @Test
    void aDashReadsStandardInputAndBadLinesCostOnlyThemselves() throws Exception {
        List<SampleOrders.Sample> samples = SampleOrders.ordinaryOnly(3, 13, today, "stdin-");
        java.io.ByteArrayOutputStream input = new java.io.ByteArrayOutputStream();
        for (SampleOrders.Sample s : samples) {
            input.write((s.json() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        input.write("\nnot json\n".getBytes(StandardCharsets.UTF_8));                                  // line 5
        input.write(("{\"tid\":\"" + "x".repeat(SubmitPipeline.MAX_LINE_CHARS) + "\"}\n").getBytes(StandardCharsets.UTF_8));
        input.write("{\"tid\":\"bad-\u00ff-".getBytes(StandardCharsets.UTF_8));                      // line 7
        input.write(new byte[] {(byte) 0xff, (byte) 0xfe});                                            // not UTF-8
        input.write("\",\"services\":{\"inventory\":{\"items\":[{\"sku\":\"sku-0001\",\"qty\":1}]}}}\n"
                .getBytes(StandardCharsets.UTF_8));
        input.write((samples.get(0).json() + "\n").getBytes(StandardCharsets.UTF_8));                   // line 8
        InputStream stdin = System.in;
        CliRun run;
        try {
            System.setIn(new ByteArrayInputStream(input.toByteArray()));
            run = CliRun.of("submit", "-", "--config", config.toString());
        } finally {
            System.setIn(stdin);
        }
        assertThat(run.exitCode()).isZero();
        Map<Integer, Map<String, Object>> outcomes = byLine(run.out());
        assertThat(outcomes).containsOnlyKeys(1, 2, 3, 5, 6, 7, 8);
        assertThat(outcomes.get(1)).containsEntry("status", "COMMITTED");
        assertThat(outcomes.get(5).get("error").toString()).startsWith("line 5: not valid JSON");
        assertThat(outcomes.get(6).get("error").toString())
                .isEqualTo("line 6: longer than " + SubmitPipeline.MAX_LINE_CHARS + " characters ("
                        + (SubmitPipeline.MAX_LINE_CHARS + 10) + "); nothing of it was sent");
        assertThat(outcomes.get(7)).containsEntry("status", "REJECTED");
        assertThat(outcomes.get(7).get("error").toString()).contains("has characters outside");
        assertThat(outcomes.get(8)).containsEntry("tid", samples.get(0).tid()).containsEntry("status", "COMMITTED");
    }

    @Test
    void aFileSavedWithAUtf8ByteOrderMarkIsReadFromItsFirstLine() throws Exception {
        List<SampleOrders.Sample> samples = SampleOrders.ordinaryOnly(2, 17, today, "bom-");
        Path file = dir.resolve("bom.jsonl");
        // As Notepad's "UTF-8 with BOM" saves it: EF BB BF, then the lines, ended by CR LF.
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        for (SampleOrders.Sample s : samples) {
            bytes.write((s.json() + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        Files.write(file, bytes.toByteArray());
        CliRun run = CliRun.of("submit", file.toString(), "--config", config.toString());
        assertThat(run.exitCode()).isZero();
        Map<Integer, Map<String, Object>> outcomes = byLine(run.out());
        assertThat(outcomes).containsOnlyKeys(1, 2);
        assertThat(outcomes.get(1)).containsEntry("tid", samples.get(0).tid()).containsEntry("status", "COMMITTED");
        assertThat(outcomes.get(2)).containsEntry("tid", samples.get(1).tid()).containsEntry("status", "COMMITTED");
    }

    // ------------------------------------------------------------------ helpers

    private Path write(String name, List<SampleOrders.Sample> samples) throws Exception {
        Path file = dir.resolve(name);
        Files.write(file, samples.stream().map(SampleOrders.Sample::json).toList(), StandardCharsets.UTF_8);
        return file;
    }

    static Map<Integer, Map<String, Object>> byLine(String out) throws Exception {
        Map<Integer, Map<String, Object>> outcomes = new TreeMap<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                Map<String, Object> o = Json.MAPPER.readValue(line, JSON_OBJECT);
                assertThat(outcomes.put((Integer) o.get("line"), o)).as("one outcome per line: " + line).isNull();
            }
        }
        return outcomes;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> participants(Map<String, Object> outcome) {
        return (List<Map<String, Object>>) outcome.get("participants");
    }

    private static int lineOf(List<SampleOrders.Sample> samples, SampleOrders.Expect expect) {
        return samples.stream().filter(s -> s.expect().equals(expect)).findFirst().orElseThrow().line();
    }

    static List<SubmitRequest> committedRequests(List<SampleOrders.Sample> samples,
            Map<Integer, Map<String, Object>> outcomes) throws Exception {
        List<SubmitRequest> committed = new ArrayList<>();
        for (SampleOrders.Sample s : samples) {
            if ("COMMITTED".equals(outcomes.get(s.line()).get("status"))) {
                committed.add(OrderJson.parse(s.json()));
            }
        }
        return committed;
    }

    private Map<String, Long> settledTotals() {
        return ServiceTotals.of(await("no transaction in doubt").atMost(Duration.ofSeconds(30))
                .until(() -> ClusterStatusReader.read(cluster.config, cluster.connections), ServiceTotals::settled));
    }

    private Map<String, Long> growth(Map<String, Long> before) {
        return ServiceTotals.growth(before, settledTotals());
    }
}
