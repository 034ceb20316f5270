package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
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
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Owns the event loop that client connections to coordinator nodes run on. One per process is
 * enough; close it last.
 */
public final class DtmConnections implements AutoCloseable {
    private final EventLoopGroup group;
    private final Duration requestTimeout;
    /** Null: plain TCP. */
    private final SslContext tls;
    /** Why no connection can be made, or null. */
    private final String unusable;

    /**
     * Connections that cannot connect: each attempt fails at once with an {@link java.io.IOException}
     * saying {@code why} (e.g. this process has no certificate for a cluster with TLS on). For the
     * command line, whose commands each say in their own words that no node could be reached.
     */
    public static DtmConnections unusable(Duration requestTimeout, String threadName, String why) {
        return new DtmConnections(requestTimeout, threadName, Optional.empty(), why);
    }

    /** Plain TCP, for servers that take it (a cluster with {@code tls.enabled: false}, tests of the RPC layer). */
    public DtmConnections(Duration requestTimeout) {
        this(requestTimeout, "dtm-client");
    }

    /** Plain TCP; {@code threadName} names the event loop's thread (in thread dumps, profiles and logs). */
    public DtmConnections(Duration requestTimeout, String threadName) {
        this(requestTimeout, threadName, Optional.empty());
    }

    /**
     * @param requestTimeout how long each request waits for its answer
     * @param threadName names the event loop's thread (in thread dumps, profiles and logs)
     * @param tls the client context every connection uses ({@link TlsContexts#client}), or empty for plain TCP
     */
    public DtmConnections(Duration requestTimeout, String threadName, Optional<SslContext> tls) {
        this(requestTimeout, threadName, tls, null);
    }

    private DtmConnections(Duration requestTimeout, String threadName, Optional<SslContext> tls, String unusable) {
        this.requestTimeout = requestTimeout;
        this.tls = tls.orElse(null);
        this.unusable = unusable;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(threadName, true),
                NioIoHandler.newFactory());
    }

    /**
     * Connections of the process named {@code process} (a node id, a service id, {@code admin} or
     * {@code client}) in {@code config}'s cluster: over TLS with that process's certificate when
     * {@code tls.enabled}.
     */
    public static DtmConnections of(ClusterConfig config, String process, Duration requestTimeout, String threadName) {
        return new DtmConnections(requestTimeout, threadName, TlsContexts.client(config, process));
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
        if (unusable != null) {
            return CompletableFuture.failedFuture(new IOException("cannot connect to " + node.clientAddress() + ": "
                    + unusable));
        }
        CompletableFuture<RpcClient<Request, Response>> rpc = RpcClient.connect(group, node.host(), node.clientPort(),
                Response.parser(), Response::getRequestId, Frames.DEFAULT_MAX_FRAME_BYTES, requestTimeout, tls);
        return rpc.thenApply(c -> new NodeClient(node.id(), c, requestTimeout));
    }

    /** Connects to a participant service's port; fails with an {@link java.io.IOException} naming the address. */
    public CompletableFuture<ParticipantClient> connectParticipant(ServiceName service, ServiceConfig address) {
        if (unusable != null) {
            return CompletableFuture.failedFuture(new IOException("cannot connect to " + address.host() + ":"
                    + address.port() + ": " + unusable));
        }
        CompletableFuture<RpcClient<ParticipantRequest, ParticipantResponse>> rpc = RpcClient.connect(group,
                address.host(), address.port(), ParticipantResponse.parser(), ParticipantResponse::getRequestId,
                Frames.DEFAULT_MAX_FRAME_BYTES, requestTimeout, tls);
        return rpc.thenApply(c -> new ParticipantClient(service.id(), c, requestTimeout));
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
