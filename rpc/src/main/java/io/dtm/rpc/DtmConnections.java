package io.dtm.rpc;

import io.dtm.config.NodeConfig;
import io.dtm.config.ServiceConfig;
import io.dtm.config.ServiceName;
import io.dtm.protocol.Frames;
import io.dtm.protocol.RpcClient;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Owns the event loop that client connections to coordinator nodes run on. One per process is
 * enough; close it last.
 */
public final class DtmConnections implements AutoCloseable {
    private final EventLoopGroup group;
    private final Duration requestTimeout;

    /** @param requestTimeout how long each request waits for its answer */
    public DtmConnections(Duration requestTimeout) {
        this(requestTimeout, "dtm-client");
    }

    /**
     * @param requestTimeout how long each request waits for its answer
     * @param threadName names the event loop's thread (in thread dumps, profiles and logs)
     */
    public DtmConnections(Duration requestTimeout, String threadName) {
        this.requestTimeout = requestTimeout;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true),
                NioIoHandler.newFactory());
    }

    /**
     * The one thread every connection of this object runs on: its futures complete there. Work
     * that reacts to their answers and never blocks may run there too, saving a hand-off per answer.
     */
    public EventLoop eventLoop() {
        return (EventLoop) group.next();
    }

    /** Connects to a node's client port; fails with an {@link java.io.IOException} naming the address. */
    public CompletableFuture<NodeClient> connect(NodeConfig node) {
        CompletableFuture<RpcClient<Request, Response>> rpc = RpcClient.connect(group, node.host(), node.clientPort(),
                Response.parser(), Response::getRequestId, Frames.DEFAULT_MAX_FRAME_BYTES, requestTimeout);
        return rpc.thenApply(c -> new NodeClient(node.id(), c, requestTimeout));
    }

    /** Connects to a participant service's port; fails with an {@link java.io.IOException} naming the address. */
    public CompletableFuture<ParticipantClient> connectParticipant(ServiceName service, ServiceConfig address) {
        CompletableFuture<RpcClient<ParticipantRequest, ParticipantResponse>> rpc = RpcClient.connect(group,
                address.host(), address.port(), ParticipantResponse.parser(), ParticipantResponse::getRequestId,
                Frames.DEFAULT_MAX_FRAME_BYTES, requestTimeout);
        return rpc.thenApply(c -> new ParticipantClient(service.id(), c, requestTimeout));
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
