package io.dtm.protocol;

import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Starts servers and clients speaking rpc.proto on ephemeral ports, and stops them after each test. */
abstract class RpcTestSupport {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
    static final int MAX_FRAME_BYTES = 1024;

    EventLoopGroup clientGroup;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeEach
    void startClientGroup() {
        clientGroup = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    @AfterEach
    void stopEverything() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        clientGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(WAIT.toMillis());
    }

    RpcServer<Request, Response> startServer(RpcHandler<Request, Response> handler) throws IOException {
        return startServer(handler, ServerLimits.defaults());
    }

    RpcServer<Request, Response> startServer(RpcHandler<Request, Response> handler, ServerLimits limits)
            throws IOException {
        RpcServer<Request, Response> server = RpcServer
                .builder(Request.parser(), handler, RpcTestSupport::internalError)
                .limits(limits)
                .maxFrameBytes(MAX_FRAME_BYTES)
                .ioThreads(2)
                .name("test-rpc")
                .start("127.0.0.1", 0);
        resources.add(server);
        return server;
    }

    RpcClient<Request, Response> connect(RpcServer<?, ?> server) throws Exception {
        RpcClient<Request, Response> client = RpcClient.<Request, Response>connect(clientGroup, "127.0.0.1",
                        server.port(), Response.parser(), Response::getRequestId, MAX_FRAME_BYTES, WAIT)
                .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        resources.add(client);
        return client;
    }

    static CompletableFuture<Response> echo(Request request, RpcContext context) {
        return CompletableFuture.completedFuture(echoOf(request));
    }

    static Response echoOf(Request request) {
        return Response.newBuilder()
                .setRequestId(request.getRequestId())
                .setTxnState(TxnState.newBuilder().setAttemptId(request.getTxnStatus().getAttemptId()))
                .build();
    }

    static Response internalError(Request request, Throwable cause) {
        return Response.newBuilder()
                .setRequestId(request.getRequestId())
                .setError(ErrorCode.INTERNAL.toProto(cause.getMessage()))
                .build();
    }

    static CompletableFuture<Response> callTxnStatus(RpcClient<Request, Response> client, String tid) {
        return callTxnStatus(client, tid, CALL_TIMEOUT);
    }

    static CompletableFuture<Response> callTxnStatus(RpcClient<Request, Response> client, String tid,
            Duration timeout) {
        return client.call(id -> FrameCodecTest.request(id, tid), timeout);
    }

    static String tidOf(Response response) {
        return response.getTxnState().getAttemptId();
    }
}
