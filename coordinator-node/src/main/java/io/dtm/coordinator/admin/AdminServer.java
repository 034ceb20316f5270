package io.dtm.coordinator.admin;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.json.MetricsModule;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm.protocol.ConnectionGate;
import io.dtm.protocol.ServerLimits;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP/1.1 admin endpoint of one coordinator node: {@code GET /metrics} (Dropwizard JSON,
 * rates per second, durations in milliseconds, optional {@code ?filter=substring} on the metric
 * name), {@code GET /health} (200 or 503) and {@code GET /status} (the status map as JSON).
 *
 * <p>With TLS (the node's own server context: TLS 1.3, a certificate of the cluster's CA required)
 * it is HTTPS, and only the {@code admin} role may read it ({@code Access.Operation.ADMIN_HTTP}):
 * any other certificate gets 403 {@code PERMISSION_DENIED}, counted in
 * {@value NodeMetrics#PERMISSION_DENIED}, and the connection is closed. A failed handshake closes
 * the connection and is counted ({@link #refusedHandshakes()}). Without TLS ({@code tls.enabled:
 * false}) it is plain HTTP and serves anyone.
 *
 * <p>Bounded like the RPC ports ({@link Listen#limits()}): connections past the cap are closed on
 * arrival, an idle connection is closed, and a connection's reading pauses while 64 KiB of its
 * answers wait unread. Requests are small GETs: anything past 8 KiB is refused.
 *
 * <p>Everything runs on one event-loop thread of its own, so the suppliers given here are called
 * on that thread and must be cheap and non-blocking (read a volatile field, a map's size): a slow
 * supplier stalls every admin request, though never the node's client or Raft traffic.
 *
 * <p>The server is listening once the constructor returns; {@link #close()} stops it.
 */
public final class AdminServer implements AutoCloseable {
    /** Requests are GETs without a body; anything larger is refused by the aggregator (413). */
    private static final int MAX_CONTENT_LENGTH = 8 * 1024;
    private static final long CLOSE_WAIT_SECONDS = 5;

    private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

    private final String name;
    private final boolean tls;
    private final ConnectionGate gate;
    private final ReadPause readPause;
    private final EventLoopGroup group;
    private final Channel channel;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Where and how the admin port listens.
     *
     * @param host   the address to bind
     * @param port   0 for an ephemeral port, see {@link #port()}
     * @param tls    the server context (the node's own, requiring a client certificate of the
     *               cluster's CA), or null for plain HTTP ({@code tls.enabled: false})
     * @param limits {@code maxConnections} and {@code idleTimeoutMs} apply as on the RPC ports;
     *               {@code maxInFlightPerConnection} does not: HTTP/1.1 answers a connection's
     *               requests one at a time, and reading pauses while its answers are unread
     */
    public record Listen(String host, int port, SslContext tls, ServerLimits limits) {
        public Listen {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(limits, "limits");
            if (tls != null && !tls.isServer()) {
                throw new IllegalArgumentException("the admin port needs a server-side SslContext");
            }
        }
    }

    /**
     * Binds {@code listen}'s address and starts serving.
     *
     * @param name            the node id, for logs and the thread name ({@code <name>-admin})
     * @param metrics         the node's metrics, shown under their own names; refused requests are
     *                        counted in its {@link NodeMetrics#permissionDenied()}
     * @param extraRegistries further registries (e.g. Ratis's) by name prefix, shown as
     *                        {@code prefix.metric}; read on every /metrics request
     * @param status          the body of /status
     * @param healthy         whether /health answers 200 or 503
     * @param healthDetail    the {@code detail} of /health
     * @throws IllegalStateException when the address cannot be bound
     */
    public AdminServer(String name, Listen listen, NodeMetrics metrics,
                       Supplier<Map<String, MetricRegistry>> extraRegistries, Supplier<Map<String, Object>> status,
                       BooleanSupplier healthy, Supplier<String> healthDetail) {
        this.name = Objects.requireNonNull(name, "name");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(metrics, "metrics");
        ObjectMapper mapper = new ObjectMapper()
                .registerModule(new MetricsModule(TimeUnit.SECONDS, TimeUnit.MILLISECONDS, false, MetricFilter.ALL));
        AdminRoutes routes = new AdminRoutes(name, mapper,
                new MetricsJson(mapper, metrics.registry(), Objects.requireNonNull(extraRegistries, "extraRegistries")),
                Objects.requireNonNull(status, "status"), Objects.requireNonNull(healthy, "healthy"),
                Objects.requireNonNull(healthDetail, "healthDetail"));
        SslContext serverTls = listen.tls();
        this.tls = serverTls != null;
        AdminHttpHandler handler = new AdminHttpHandler(name, routes, tls, metrics::permissionDenied);
        readPause = new ReadPause();
        gate = new ConnectionGate(name + "-admin", listen.limits().maxConnections());
        long idleMs = listen.limits().idleTimeoutMs();
        group = new MultiThreadIoEventLoopGroup(1, daemonThreads(name + "-admin"), NioIoHandler.newFactory());
        try {
            channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    // Past 64 KiB of answers waiting for a client, the connection stops being read.
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 64 << 10))
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            if (!gate.admit(ch)) {
                                ch.close();
                                return;
                            }
                            ChannelPipeline pipeline = ch.pipeline();
                            if (serverTls != null) {
                                // Nothing reaches HTTP before the handshake has verified the client's certificate.
                                pipeline.addLast(serverTls.newHandler(ch.alloc()));
                                pipeline.addLast(gate.handshakeWatch());
                            }
                            if (idleMs > 0) {
                                pipeline.addLast(new IdleStateHandler(0, 0, idleMs, TimeUnit.MILLISECONDS));
                            }
                            // The flow control holds requests already decoded while reading is paused.
                            pipeline.addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_CONTENT_LENGTH),
                                    new FlowControlHandler(), readPause, handler);
                        }
                    })
                    .bind(new InetSocketAddress(listen.host(), listen.port()))
                    .syncUninterruptibly()
                    .channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException(name + ": cannot bind the admin server to " + listen.host() + ":"
                    + listen.port(), e);
        }
        LOG.info("{}: admin server listening on {} ({})", name, channel.localAddress(),
                tls ? "HTTPS, mutual TLS, admin certificates only" : "plain HTTP: TLS is off");
    }

    /** The port actually bound (the ephemeral one when constructed with port 0). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Whether the port serves HTTPS to admin certificates only (else plain HTTP to anyone). */
    public boolean tls() {
        return tls;
    }

    /** Connections open now. */
    public int openConnections() {
        return gate.openConnections();
    }

    /** Connections closed on arrival since the start, because the most allowed were open. */
    public long refusedConnections() {
        return gate.refusedConnections();
    }

    /** TLS handshakes that failed since the start: no certificate, another CA's, an expired one, not TLS at all. */
    public long refusedHandshakes() {
        return gate.refusedHandshakes();
    }

    /** Connections whose reading is paused now, because 64 KiB of their answers wait unread. */
    public int pausedConnections() {
        return readPause.pausedConnections();
    }

    /** Stops listening, closes open connections and the event loop, waiting a few seconds at most. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.close().awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS);
        // No quiet period: an admin request cut short is harmless, a slow node shutdown is not.
        if (!group.shutdownGracefully(0, CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)
                .awaitUninterruptibly(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
            LOG.warn("{}: admin event loop still running {} s after close", name, CLOSE_WAIT_SECONDS);
        }
        LOG.info("{}: admin server closed", name);
    }

    private static ThreadFactory daemonThreads(String threadName) {
        return runnable -> {
            // A FastThreadLocalThread lets Netty use its fast thread-locals on the event loop.
            Thread thread = new FastThreadLocalThread(runnable, threadName);
            thread.setDaemon(true);
            return thread;
        };
    }
}
