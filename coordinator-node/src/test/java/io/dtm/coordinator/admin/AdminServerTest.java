package io.dtm.coordinator.admin;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** What the admin port answers, read over HTTPS with the cluster's admin certificate (AdminServerSecurityTest: who may). */
class AdminServerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private HttpClient client;
    private final MetricRegistry registry = new MetricRegistry();
    private final NodeMetrics metrics = new NodeMetrics(registry);
    private final MetricRegistry ratis = new MetricRegistry();
    private final AtomicReference<Supplier<Map<String, Object>>> status =
            new AtomicReference<>(() -> Map.of("node", "n1", "role", "LEADER", "term", 3));
    private final AtomicBoolean healthy = new AtomicBoolean(true);
    private AdminServer server;

    private AdminTls tls;

    @BeforeEach
    void start() {
        tls = new AdminTls(dir);
        client = AdminTls.https(tls.as("admin"));
        server = new AdminServer("n1", tls.listen(), metrics, () -> Map.of("ratis.server", ratis),
                () -> status.get().get(), healthy::get, () -> healthy.get() ? "leader of term 3" : "no leader");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void metricsRenderNodeAndExtraRegistriesInMetricsModuleSections() throws Exception {
        metrics.inDoubtQueries();
        metrics.inDoubtQueries();
        metrics.submitted();
        metrics.aborted("NO_VOTE");
        metrics.transactionLatency(TimeUnit.MILLISECONDS.toNanos(12));
        metrics.registerInFlight(() -> 7);
        ratis.counter("appendEntries").inc(5);

        HttpResponse<String> response = get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode root = JSON.readTree(response.body());
        assertThat(root.fieldNames()).toIterable().contains("gauges", "counters", "histograms", "meters", "timers");
        assertThat(root.at("/counters/dtm.indoubt.queries/count").asLong()).isEqualTo(2);
        assertThat(root.at("/meters/dtm.txn.submitted/count").asLong()).isEqualTo(1);
        assertThat(root.at("/meters/dtm.txn.submitted/units").asText()).isEqualTo("events/second");
        assertThat(root.at("/meters/dtm.txn.aborted.NO_VOTE/count").asLong()).isEqualTo(1);
        assertThat(root.at("/gauges/dtm.txn.in-flight/value").asLong()).isEqualTo(7);
        JsonNode latency = root.at("/timers/dtm.txn.latency");
        assertThat(latency.get("count").asLong()).isEqualTo(1);
        assertThat(latency.get("duration_units").asText()).isEqualTo("milliseconds");
        assertThat(latency.get("max").asDouble()).isEqualTo(12.0);
        assertThat(root.at("/counters/ratis.server.appendEntries/count").asLong()).isEqualTo(5);
    }

    @Test
    void filterKeepsOnlyMetricsWhoseNameContainsIt() throws Exception {
        ratis.counter("appendEntries").inc();
        metrics.aborted("TIMEOUT");

        JsonNode root = JSON.readTree(get("/metrics?filter=txn.aborted").body());

        assertThat(root.get("meters").fieldNames()).toIterable()
                .containsExactlyInAnyOrder("dtm.txn.aborted", "dtm.txn.aborted.TIMEOUT");
        assertThat(root.get("counters")).isEmpty();
        assertThat(root.get("timers")).isEmpty();
    }

    @Test
    void reasonKindsBeyondTheBoundAreShownAsOther() throws Exception {
        for (int i = 0; i < NodeMetrics.MAX_KINDS + 10; i++) {
            metrics.aborted("KIND_" + i);
        }

        JsonNode meters = JSON.readTree(get("/metrics?filter=dtm.txn.aborted.").body()).get("meters");

        assertThat(meters.size()).isEqualTo(NodeMetrics.MAX_KINDS + 1);
        assertThat(meters.at("/dtm.txn.aborted.OTHER/count").asLong()).isEqualTo(10);
    }

    @Test
    void healthAnswers200WhenHealthyAnd503Otherwise() throws Exception {
        HttpResponse<String> up = get("/health");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(up.body())).isEqualTo(JSON.readTree("{\"healthy\":true,\"detail\":\"leader of term 3\"}"));

        healthy.set(false);
        HttpResponse<String> down = get("/health");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(down.body())).isEqualTo(JSON.readTree("{\"healthy\":false,\"detail\":\"no leader\"}"));
    }

    @Test
    void statusRendersTheSuppliersMap() throws Exception {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("node", "n2");
        map.put("peers", List.of("n1", "n3"));
        map.put("commitIndex", 42L);
        status.set(() -> map);

        HttpResponse<String> response = get("/status");

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> body = JSON.readValue(response.body(), new TypeReference<Map<String, Object>>() { });
        assertThat(body).isEqualTo(Map.of("node", "n2", "peers", List.of("n1", "n3"), "commitIndex", 42));
    }

    @Test
    void unknownPathIs404WithTheKnownPaths() throws Exception {
        HttpResponse<String> response = get("/nope");

        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("error").asText()).contains("/nope");
        assertThat(body.get("paths")).isEqualTo(JSON.readTree("[\"/metrics\",\"/health\",\"/status\"]"));
    }

    @Test
    void otherMethodsAre405() throws Exception {
        HttpResponse<String> response = client.send(request("/metrics").POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("allow")).hasValue("GET");
        assertThat(JSON.readTree(response.body()).get("error").asText()).contains("POST");
    }

    @Test
    void throwingSupplierGives500AndTheServerKeepsServing() throws Exception {
        status.set(() -> {
            throw new IllegalStateException("state machine not loaded");
        });

        HttpResponse<String> failed = get("/status");
        assertThat(failed.statusCode()).isEqualTo(500);
        assertThat(JSON.readTree(failed.body()).get("error").asText()).isEqualTo("state machine not loaded");

        assertThat(get("/health").statusCode()).isEqualTo(200);
        status.set(() -> Map.of("node", "n1"));
        assertThat(get("/status").statusCode()).isEqualTo(200);
    }

    @Test
    void throwingExtraRegistriesGive500() throws Exception {
        try (AdminServer broken = new AdminServer("n9", tls.listen(), metrics,
                () -> {
                    throw new IllegalStateException("ratis registries unavailable");
                }, Map::of, () -> true, () -> "ok")) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + broken.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(500);
            assertThat(response.body()).contains("ratis registries unavailable");
        }
    }

    @Test
    void closeReleasesThePort() throws Exception {
        int port = server.port();
        server.close();

        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            assertThat(socket.getLocalPort()).isEqualTo(port);
        }
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(10));
    }
}
