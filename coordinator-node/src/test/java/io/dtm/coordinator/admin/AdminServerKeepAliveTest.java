package io.dtm.coordinator.admin;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Connection handling on a raw TLS socket (the admin certificate), where java.net.http would hide reuse and closing. */
class AdminServerKeepAliveTest {
    @TempDir
    Path dir;
    private AdminTls tls;
    /** The body of /status, given which call this is (1, 2, ...). */
    private final AtomicReference<IntFunction<Map<String, Object>>> status = new AtomicReference<>(n -> Map.of("node", "n1"));
    private final AtomicInteger statusCalls = new AtomicInteger();
    private AdminServer server;

    @BeforeEach
    void start() {
        tls = new AdminTls(dir);
        server = new AdminServer("n1", tls.listen(), new NodeMetrics(new MetricRegistry()), Map::of,
                () -> status.get().apply(statusCalls.incrementAndGet()), () -> true, () -> "ok");
    }

    private Socket connect() throws IOException {
        return AdminTls.socket(tls.as("admin"), server.port());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void keepAliveConnectionServesSeveralRequestsAndConnectionCloseEndsIt() throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();

            send(out, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            Response first = Response.read(in);
            send(out, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
            Response second = Response.read(in);
            send(out, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            Response last = Response.read(in);

            assertThat(first.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(first.body()).contains("\"healthy\":true");
            assertThat(second.body()).isEqualTo("{\"node\":\"n1\"}");
            assertThat(last.headers()).containsEntry("connection", "close");
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheResponse() throws IOException {
        try (Socket socket = connect()) {
            send(socket.getOutputStream(), "GET /health HTTP/1.0\r\n\r\n");

            Response response = Response.read(socket.getInputStream());

            assertThat(response.statusLine()).isEqualTo("HTTP/1.0 200 OK");
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void malformedRequestGets400AndTheConnectionIsClosed() throws IOException {
        try (Socket socket = connect()) {
            send(socket.getOutputStream(), "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");

            Response response = Response.read(socket.getInputStream());

            assertThat(response.statusLine()).startsWith("HTTP/1.1 400");
            assertThat(response.body()).contains("malformed request");
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void aClientThatDoesNotReadItsAnswersIsNotReadEitherThenGetsThemAllInOrder() throws Exception {
        // 256 KiB answers: a few megabytes of them fill the kernel's buffers, then the server's 64 KiB. Fewer
        // requests than Netty's HttpServerCodec lets wait unanswered (128, past which it closes the connection).
        String padding = "x".repeat(256 << 10);
        status.set(n -> new TreeMap<>(Map.of("call", n, "padding", padding))); // sorted: "call" comes first
        int requests = 100;
        try (Socket socket = connect()) {
            StringBuilder pipelined = new StringBuilder();
            for (int i = 0; i < requests; i++) {
                pipelined.append("GET /status?n=").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            // Written by another thread: once the server stops reading, this write blocks until we read.
            CompletableFuture<Void> written = CompletableFuture.runAsync(() -> {
                try {
                    send(socket.getOutputStream(), pipelined.toString());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });

            await().atMost(Duration.ofSeconds(20)).until(() -> server.pausedConnections() == 1);
            assertThat(statusCalls.get()).as("answers made while the client reads none").isLessThan(requests);

            InputStream in = socket.getInputStream();
            for (int i = 0; i < requests; i++) {
                Response response = Response.read(in);
                assertThat(response.statusLine()).isEqualTo("HTTP/1.1 200 OK");
                assertThat(response.body()).contains("\"call\":" + (i + 1) + ",", padding);
            }
            written.get(10, TimeUnit.SECONDS);
            assertThat(statusCalls).hasValue(requests);
            assertThat(server.pausedConnections()).isZero();
        }
    }

    private static void send(OutputStream out, String request) throws IOException {
        out.write(request.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private record Response(String statusLine, Map<String, String> headers, String body) {
        static Response read(InputStream in) throws IOException {
            String statusLine = line(in);
            Map<String, String> headers = new HashMap<>();
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
            // Content-Length is how a keep-alive client finds the end of the body: it must be there.
            byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            return new Response(statusLine, headers, new String(body, StandardCharsets.UTF_8));
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b == -1) {
                    throw new IOException("connection closed mid-response");
                }
                if (b != '\r') {
                    buffer.write(b);
                }
            }
            return buffer.toString(StandardCharsets.US_ASCII);
        }
    }
}
