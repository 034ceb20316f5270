package io.dtm.coordinator.admin;

import com.codahale.metrics.MetricRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Connection handling on a raw socket, where java.net.http would hide reuse and closing. */
class AdminServerKeepAliveTest {
    private AdminServer server;

    @BeforeEach
    void start() {
        server = new AdminServer("n1", "127.0.0.1", 0, new MetricRegistry(), Map::of,
                () -> Map.of("node", "n1"), () -> true, () -> "ok");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void keepAliveConnectionServesSeveralRequestsAndConnectionCloseEndsIt() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
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
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            send(socket.getOutputStream(), "GET /health HTTP/1.0\r\n\r\n");

            Response response = Response.read(socket.getInputStream());

            assertThat(response.statusLine()).isEqualTo("HTTP/1.0 200 OK");
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void malformedRequestGets400AndTheConnectionIsClosed() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);
            send(socket.getOutputStream(), "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");

            Response response = Response.read(socket.getInputStream());

            assertThat(response.statusLine()).startsWith("HTTP/1.1 400");
            assertThat(response.body()).contains("malformed request");
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
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
