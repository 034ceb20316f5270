package io.dtm.protocol;

import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Misbehaving clients, on real sockets, against a server's {@link ServerLimits}. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ServerLimitsTest extends RpcTestSupport {
    /** An answer of about 900 bytes, so that unread answers add up quickly. */
    private static final String PADDING = "p".repeat(900);

    private final AtomicLong served = new AtomicLong();

    private CompletableFuture<Response> paddedEcho(Request request, RpcContext context) {
        served.incrementAndGet();
        return CompletableFuture.completedFuture(Response.newBuilder().setRequestId(request.getRequestId())
                .setTxnState(TxnState.newBuilder().setAttemptId(request.getTxnStatus().getAttemptId()).setReason(PADDING))
                .build());
    }

    private static Socket open(RpcServer<?, ?> server) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) WAIT.toMillis());
        return socket;
    }

    /** Whether the server closed this connection: a read sees the end of the stream (or a reset). */
    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout((int) WAIT.toMillis());
        try {
            return socket.getInputStream().read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static void writeFrame(DataOutputStream out, Request request) throws IOException {
        byte[] bytes = request.toByteArray();
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    @Test
    void tenThousandConnectionsGetNoMoreThanTheCapAndTheServerServesAgainAfterwards() throws Exception {
        int cap = 50;
        RpcServer<Request, Response> server = startServer(RpcTestSupport::echo, new ServerLimits(cap, 100, 0));
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 10_000; i++) {
                flood.add(open(server));
            }
            await().atMost(WAIT).untilAsserted(() -> assertThat(server.refusedConnections()).isEqualTo(10_000 - cap));
            assertThat(server.openConnections()).isEqualTo(cap);
            assertThat(closedByServer(flood.get(flood.size() - 1))).as("one past the cap").isTrue();
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.openConnections()).isZero());

        assertThat(tidOf(callTxnStatus(connect(server), "after-the-flood").get(WAIT.toMillis(), TimeUnit.MILLISECONDS)))
                .isEqualTo("after-the-flood");
    }

    @Test
    void aClientThatNeverReadsItsAnswersIsHeldBackAndLosesNothingWhenItReadsAgain() throws Exception {
        RpcServer<Request, Response> server = startServer(this::paddedEcho, new ServerLimits(10, 64, 0));
        int requests = 100_000; // 90 MB of answers, were they all produced
        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(8 << 10);
            socket.connect(new InetSocketAddress("127.0.0.1", server.port()), (int) WAIT.toMillis());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            AtomicInteger sent = new AtomicInteger();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                try {
                    for (int i = 0; i < requests; i++) {
                        writeFrame(out, FrameCodecTest.request(i + 1, "t" + i));
                        sent.incrementAndGet();
                    }
                    out.flush();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });

            long plateau = awaitNoProgress();
            assertThat(plateau).as("served while nobody read the answers: the kernel's buffers and 64 in flight")
                    .isLessThan(20_000);
            assertThat(server.openConnections()).isOne();

            DataInputStream in = new DataInputStream(socket.getInputStream());
            for (int i = 0; i < requests; i++) {
                Response response = readFrame(in);
                assertThat(response.getRequestId()).as("answers in order, none lost").isEqualTo(i + 1);
            }
            writer.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
        assertThat(served.get()).isEqualTo(requests);
    }

    /** Waits until the server has served nothing new for a second; returns how many it served. */
    private long awaitNoProgress() {
        long[] last = {-1};
        await().atMost(WAIT).pollInterval(1, TimeUnit.SECONDS).until(() -> {
            long now = served.get();
            boolean still = now == last[0];
            last[0] = now;
            return still && now > 0;
        });
        return last[0];
    }

    private static Response readFrame(DataInputStream in) throws IOException {
        int length = in.readInt();
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return Response.parseFrom(bytes);
    }

    @Test
    void anIdleConnectionIsClosedAndOneWithARequestInFlightIsNot() throws Exception {
        CompletableFuture<Response> never = new CompletableFuture<>();
        RpcServer<Request, Response> server = startServer(
                (request, context) -> request.getTxnStatus().getAttemptId().equals("hang") ? never
                        : RpcTestSupport.echo(request, context), new ServerLimits(10, 100, 300));
        try (Socket idle = open(server); Socket waiting = open(server)) {
            DataOutputStream out = new DataOutputStream(waiting.getOutputStream());
            writeFrame(out, FrameCodecTest.request(1, "hang"));
            out.flush();

            assertThat(closedByServer(idle)).as("idle past 300 ms").isTrue();
            await().atMost(WAIT).untilAsserted(() -> assertThat(server.openConnections()).isOne());
            InputStream in = waiting.getInputStream();
            waiting.setSoTimeout(1_000);
            assertThat(readsNothing(in)).as("its request is still being served: kept open").isTrue();

            never.complete(Response.newBuilder().setRequestId(1).build());
            assertThat(readFrame(new DataInputStream(in)).getRequestId()).isEqualTo(1);
            assertThat(closedByServer(waiting)).as("then idle, then closed").isTrue();
        }
    }

    /** Whether nothing arrives (no byte, no end of stream) within the socket's timeout. */
    private static boolean readsNothing(InputStream in) throws IOException {
        try {
            in.read();
            return false;
        } catch (SocketTimeoutException e) {
            return true;
        }
    }
}
