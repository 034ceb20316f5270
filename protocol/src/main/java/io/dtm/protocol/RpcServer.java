package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on one address and serves the framed requests that arrive on them with an
 * {@link RpcHandler}. Each connection carries many requests at once; replies are written as their
 * futures complete, in any order, and matched by the client through the request id the handler
 * copies into them.
 *
 * <p>A failed request gets the reply built by the error-response function and leaves the
 * connection open. A bad frame, an oversize frame or an I/O error closes only the connection it
 * came on.
 *
 * <p>The server owns its event loops (one acceptor thread, a configurable number of I/O threads)
 * and stops them in {@link #close()}.
 *
 * <p>What one client can take is bounded ({@link ServerLimits}): connections past the cap are
 * closed at once, a connection's reading pauses while too many of its requests are in flight or its
 * answers are not being read, and an idle connection is closed.
 *
 * @param <Req> the request message type
 * @param <Resp> the response message type
 */
public final class RpcServer<Req extends MessageLite, Resp extends MessageLite> implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RpcServer.class);
    private static final long BIND_TIMEOUT_MS = 10_000;
    private static final long SHUTDOWN_QUIET_PERIOD_MS = 100;
    private static final long SHUTDOWN_TIMEOUT_MS = 5_000;

    private final String name;
    private final EventLoopGroup acceptorGroup;
    private final EventLoopGroup ioGroup;
    private final Channel serverChannel;
    private final InetSocketAddress localAddress;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConnectionGate connections;
    private final boolean tls;

    private RpcServer(String name, EventLoopGroup acceptorGroup, EventLoopGroup ioGroup, Channel serverChannel,
            ConnectionGate connections, boolean tls) {
        this.name = name;
        this.acceptorGroup = acceptorGroup;
        this.ioGroup = ioGroup;
        this.serverChannel = serverChannel;
        this.connections = connections;
        this.tls = tls;
        // Cached: a closed channel may no longer report its address.
        this.localAddress = (InetSocketAddress) serverChannel.localAddress();
    }

    /**
     * Starts describing a server.
     *
     * @param requestParser parses one request frame
     * @param handler serves each request; must not block
     * @param errorResponse turns a request whose handling failed (the handler threw or its future
     *     failed) into the reply to send; it must copy the request id
     */
    public static <Req extends MessageLite, Resp extends MessageLite> Builder<Req, Resp> builder(
            Parser<Req> requestParser, RpcHandler<Req, Resp> handler, BiFunction<Req, Throwable, Resp> errorResponse) {
        return new Builder<>(requestParser, handler, errorResponse);
    }

    /** The port the server listens on; the ephemeral port chosen when started with port 0. */
    public int port() {
        return localAddress.getPort();
    }

    /** The address the server listens on, {@code host:port}. */
    public String address() {
        return RpcContext.describe(localAddress);
    }

    /** Connections open now. */
    public int openConnections() {
        return connections.openConnections();
    }

    /** Connections closed on arrival since the start, because {@link ServerLimits#maxConnections} were open. */
    public long refusedConnections() {
        return connections.refusedConnections();
    }

    /** TLS handshakes that failed since the start: no certificate, another CA's, an expired one, not TLS at all. */
    public long refusedHandshakes() {
        return connections.refusedHandshakes();
    }

    /** Whether connections must present a certificate of the cluster's CA (mutual TLS). */
    public boolean tls() {
        return tls;
    }

    /** The name given to the builder, used in thread names and log lines. */
    public String name() {
        return name;
    }

    /**
     * Stops accepting, closes every connection (clients' pending calls fail), then stops the event
     * loops, waiting a bounded time for them. Blocks, so it must not be called from a handler or
     * any other code running on this server's event loops. Calling it again does nothing.
     */
    @Override
    public void close() {
        checkNotOnOwnEventLoop();
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        serverChannel.close().awaitUninterruptibly(SHUTDOWN_TIMEOUT_MS);
        Future<?> acceptorStopped = acceptorGroup.shutdownGracefully(
                SHUTDOWN_QUIET_PERIOD_MS, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        Future<?> ioStopped = ioGroup.shutdownGracefully(
                SHUTDOWN_QUIET_PERIOD_MS, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        // Both groups shut down in parallel; each wait is bounded. `&` rather than `&&`: wait for both.
        long waitMs = SHUTDOWN_TIMEOUT_MS + 1_000;
        boolean stopped = acceptorStopped.awaitUninterruptibly(waitMs) & ioStopped.awaitUninterruptibly(waitMs);
        if (stopped) {
            log.info("[{}] stopped", name);
        } else {
            log.warn("[{}] event loops did not stop within {} ms", name, waitMs);
        }
    }

    @Override
    public String toString() {
        return "RpcServer[" + name + " " + address() + "]";
    }

    private void checkNotOnOwnEventLoop() {
        for (EventExecutor executor : ioGroup) {
            if (executor.inEventLoop()) {
                throw new IllegalStateException("RpcServer " + name + " cannot be closed from its own event loop");
            }
        }
    }

    /**
     * Settings of an {@link RpcServer}, which {@link #start(String, int)} binds.
     *
     * @param <Req> the request message type
     * @param <Resp> the response message type
     */
    public static final class Builder<Req extends MessageLite, Resp extends MessageLite> {
        private final Parser<Req> requestParser;
        private final RpcHandler<Req, Resp> handler;
        private final BiFunction<Req, Throwable, Resp> errorResponse;
        private int maxFrameBytes = Frames.DEFAULT_MAX_FRAME_BYTES;
        private int ioThreads;
        private String name = "rpc";
        private ServerLimits limits = ServerLimits.defaults();
        private SslContext tls;

        private Builder(Parser<Req> requestParser, RpcHandler<Req, Resp> handler,
                BiFunction<Req, Throwable, Resp> errorResponse) {
            this.requestParser = Objects.requireNonNull(requestParser, "requestParser");
            this.handler = Objects.requireNonNull(handler, "handler");
            this.errorResponse = Objects.requireNonNull(errorResponse, "errorResponse");
        }

        /** Largest request accepted and response sent, without the length field. Default 4 MiB. */
        public Builder<Req, Resp> maxFrameBytes(int maxFrameBytes) {
            this.maxFrameBytes = Frames.checkMaxFrameBytes(maxFrameBytes);
            return this;
        }

        /** Number of I/O threads; 0 (the default) lets Netty choose (twice the cores). */
        public Builder<Req, Resp> ioThreads(int ioThreads) {
            if (ioThreads < 0) {
                throw new IllegalArgumentException("ioThreads must be >= 0, got " + ioThreads);
            }
            this.ioThreads = ioThreads;
            return this;
        }

        /** What one client may take of this server. Default {@link ServerLimits#defaults()}. */
        public Builder<Req, Resp> limits(ServerLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Serve over TLS with this server context (which decides the protocol versions and whether a
         * client certificate is required: {@code TlsContexts} in the rpc module requires one from the
         * cluster's CA, TLS 1.3 only). Default: none, plain TCP.
         */
        public Builder<Req, Resp> tls(SslContext serverContext) {
            if (serverContext != null && !serverContext.isServer()) {
                throw new IllegalArgumentException("a server needs a server-side SslContext");
            }
            this.tls = serverContext;
            return this;
        }

        /** Prefix of thread names and tag of log lines, e.g. the node id. Default {@code rpc}. */
        public Builder<Req, Resp> name(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * Binds {@code host:port} (port 0 picks a free port) and starts serving. Blocks until bound,
         * so call it from a plain thread, not from an event loop.
         *
         * @throws IOException when the address cannot be bound (e.g. the port is taken)
         */
        public RpcServer<Req, Resp> start(String host, int port) throws IOException {
            Objects.requireNonNull(host, "host");
            EventLoopGroup acceptorGroup = new MultiThreadIoEventLoopGroup(
                    1, new DefaultThreadFactory(name + "-accept"), NioIoHandler.newFactory());
            EventLoopGroup ioGroup = new MultiThreadIoEventLoopGroup(
                    ioThreads, new DefaultThreadFactory(name + "-io"), NioIoHandler.newFactory());
            try {
                ConnectionGate connections = new ConnectionGate(name, limits.maxConnections());
                Channel channel = bind(acceptorGroup, ioGroup, host, port, connections);
                RpcServer<Req, Resp> server = new RpcServer<>(name, acceptorGroup, ioGroup, channel, connections,
                        tls != null);
                log.info("[{}] listening on {}{}", name, server.address(), tls != null ? " (mutual TLS)" : "");
                return server;
            } catch (IOException | RuntimeException e) {
                acceptorGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                ioGroup.shutdownGracefully(0, SHUTDOWN_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                throw e;
            }
        }

        private Channel bind(EventLoopGroup acceptorGroup, EventLoopGroup ioGroup, String host, int port,
                ConnectionGate connections) throws IOException {
            ServerBootstrap bootstrap = new ServerBootstrap()
                    .group(acceptorGroup, ioGroup)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    // Past 64 KiB of answers waiting for a client, the connection stops being read.
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 64 << 10))
                    .childHandler(new ChannelInitializer<>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            if (!connections.admit(ch)) {
                                ch.close();
                                return;
                            }
                            ChannelPipeline pipeline = ch.pipeline();
                            if (tls != null) {
                                // Nothing reaches the framing before the handshake has verified the client's
                                // certificate; a failed handshake closes the connection.
                                pipeline.addLast(tls.newHandler(ch.alloc()));
                                pipeline.addLast(connections.handshakeWatch());
                            }
                            if (limits.idleTimeoutMs() > 0) {
                                pipeline.addLast(new IdleStateHandler(0, 0, limits.idleTimeoutMs(), TimeUnit.MILLISECONDS));
                            }
                            Frames.addCodec(pipeline, requestParser, maxFrameBytes);
                            pipeline.addLast(new RpcServerHandler<>(name, handler, errorResponse, new RpcContext(ch),
                                    limits.maxInFlightPerConnection()));
                        }
                    });
            String address = host + ":" + port;
            ChannelFuture bound = bootstrap.bind(host, port);
            try {
                if (!bound.await(BIND_TIMEOUT_MS)) {
                    bound.cancel(false);
                    throw new IOException("binding " + address + " took over " + BIND_TIMEOUT_MS + " ms");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while binding " + address);
            }
            if (!bound.isSuccess()) {
                throw new IOException("cannot bind " + address, bound.cause());
            }
            return bound.channel();
        }
    }
}
