package io.dtm.coordinator.admin;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm.protocol.ServerLimits;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Who may read the admin port, on real sockets with real handshakes: only the cluster's admin
 * certificate is served; plain HTTP, no certificate, another CA's and an expired one are refused
 * at the handshake and counted; any other role of the cluster gets 403 PERMISSION_DENIED, counted.
 * And its bounds: a connection cap and an idle timeout.
 */
class AdminServerSecurityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final List<String> PATHS = List.of("/health", "/metrics", "/status");

    @TempDir
    Path dir;
    private AdminTls tls;
    private final MetricRegistry registry = new MetricRegistry();
    private final NodeMetrics metrics = new NodeMetrics(registry);
    /** Calls of the /status supplier: how many requests got past the checks. */
    private final AtomicInteger served = new AtomicInteger();
    private final List<AdminServer> servers = new ArrayList<>();

    @BeforeEach
    void certificates() {
        tls = new AdminTls(dir);
    }

    @AfterEach
    void stop() {
        servers.forEach(AdminServer::close);
    }

    private AdminServer start(AdminServer.Listen listen) {
        AdminServer server = new AdminServer("n1", listen, metrics, Map::of, () -> {
            served.incrementAndGet();
            return Map.of("node", "n1");
        }, () -> true, () -> "ok");
        servers.add(server);
        return server;
    }

    @Test
    void theAdminCertificateReadsEveryPath() throws Exception {
        AdminServer server = start(tls.listen());
        HttpClient admin = AdminTls.https(tls.as("admin"));

        for (String path : PATHS) {
            HttpResponse<String> response = get(admin, server, path);
            assertThat(response.statusCode()).as(path).isEqualTo(200);
        }
        assertThat(served).hasValue(1);
        assertThat(permissionDenied()).isZero();
        assertThat(server.refusedHandshakes()).isZero();
        assertThat(server.tls()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"client", "payment", "n2"})
    void anyOtherRoleOfTheClusterGets403OnEveryPathAndIsCounted(String holder) throws Exception {
        AdminServer server = start(tls.listen());
        HttpClient other = AdminTls.https(tls.as(holder));
        String role = holder.equals("client") ? "client" : holder.equals("payment") ? "service" : "node";

        for (String path : PATHS) {
            HttpResponse<String> response = get(other, server, path);
            assertThat(response.statusCode()).as(path).isEqualTo(403);
            assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree(
                    "{\"error\":\"PERMISSION_DENIED: role " + role + " may not read the admin port\"}"));
        }
        assertThat(permissionDenied()).isEqualTo(PATHS.size());
        assertThat(registry.counter(NodeMetrics.PERMISSION_DENIED).getCount()).isEqualTo(PATHS.size());
        assertThat(served).as("nothing was served").hasValue(0);
        assertThat(server.refusedHandshakes()).isZero();
    }

    @Test
    void plainHttpIsRefusedAtTheHandshake() {
        AdminServer server = start(tls.listen());
        HttpClient plain = HttpClient.newBuilder().connectTimeout(WAIT).build();

        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/status")).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        assertRefusedAtTheHandshake(server);
    }

    @Test
    void tlsWithoutAClientCertificateIsRefused() {
        assertRefused(tls.withoutCertificate());
    }

    @Test
    void anAdminCertificateOfAnotherCaIsRefused() {
        assertRefused(tls.adminOfAnotherCa());
    }

    @Test
    void anExpiredAdminCertificateOfTheClustersCaIsRefused() {
        assertRefused(tls.expiredAdmin());
    }

    @Test
    void withTlsOffItIsPlainHttpForAnyone() throws Exception {
        AdminServer server = start(new AdminServer.Listen("127.0.0.1", 0, null, ServerLimits.defaults()));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/status")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(server.tls()).isFalse();
    }

    @Test
    void connectionsPastTheCapAreClosedAndThePortServesAgainOnceOneLeaves() throws Exception {
        int cap = 3;
        AdminServer server = start(tls.listen(new ServerLimits(cap, 1, 0)));
        SSLContext admin = tls.as("admin");
        List<SSLSocket> kept = new ArrayList<>();
        try {
            for (int i = 0; i < cap; i++) {
                SSLSocket socket = AdminTls.socket(admin, server.port());
                kept.add(socket);
                assertThat(health(socket)).as("connection %d", i).startsWith("HTTP/1.1 200");
            }
            for (int i = 0; i < 5; i++) {
                // Closed as soon as accepted: the handshake, or at the latest the first read, fails.
                assertThatThrownBy(() -> health(AdminTls.socket(admin, server.port()))).isInstanceOf(IOException.class);
            }
            assertThat(server.refusedConnections()).isEqualTo(5);
            assertThat(server.openConnections()).isEqualTo(cap);

            kept.remove(0).close();
            await().atMost(WAIT).until(() -> server.openConnections() == cap - 1);
            try (SSLSocket again = AdminTls.socket(admin, server.port())) {
                assertThat(health(again)).startsWith("HTTP/1.1 200");
            }
        } finally {
            for (SSLSocket s : kept) {
                s.close();
            }
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        AdminServer server = start(tls.listen(new ServerLimits(8, 1, 200)));
        try (SSLSocket socket = AdminTls.socket(tls.as("admin"), server.port())) {
            assertThat(health(socket)).startsWith("HTTP/1.1 200");

            // Nothing more is sent: the server hangs up (the read would otherwise time out after 10 s).
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        await().atMost(WAIT).until(() -> server.openConnections() == 0);
    }

    private void assertRefused(SSLContext client) {
        AdminServer server = start(tls.listen());
        HttpClient https = AdminTls.https(client);

        assertThatThrownBy(() -> get(https, server, "/status")).isInstanceOf(IOException.class);
        assertRefusedAtTheHandshake(server);
    }

    private void assertRefusedAtTheHandshake(AdminServer server) {
        // At least one: java.net.http tries a GET again once when the connection is closed under it.
        await().atMost(WAIT).until(() -> server.refusedHandshakes() > 0);
        assertThat(served).as("nothing was served").hasValue(0);
        await().atMost(WAIT).until(() -> server.openConnections() == 0);
    }

    private long permissionDenied() {
        return registry.counter(NodeMetrics.PERMISSION_DENIED).getCount();
    }

    private static HttpResponse<String> get(HttpClient client, AdminServer server, String path)
            throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + path))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** GET /health on a kept-alive connection; the status line, the rest of the answer read and dropped. */
    private static String health(SSLSocket socket) throws IOException {
        socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b == -1) {
                throw new IOException("closed by the server");
            }
            head.append((char) b);
        }
        String headers = head.toString().toLowerCase(java.util.Locale.ROOT);
        int at = headers.indexOf("content-length:") + "content-length:".length();
        int length = Integer.parseInt(headers.substring(at, headers.indexOf("\r\n", at)).trim());
        in.readNBytes(length);
        return head.substring(0, head.indexOf("\r\n"));
    }
}
