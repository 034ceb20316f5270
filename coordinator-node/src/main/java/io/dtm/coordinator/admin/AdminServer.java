package io.dtm.coordinator.admin;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.json.MetricsModule;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
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
    private final EventLoopGroup group;
    private final Channel channel;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * Binds {@code host:port} and starts serving.
     *
     * @param name            the node id, for logs and the thread name ({@code <name>-admin})
     * @param port            0 for an ephemeral port, see {@link #port()}
     * @param registry        the node's metrics, shown under their own names
     * @param extraRegistries further registries (e.g. Ratis's) by name prefix, shown as
     *                        {@code prefix.metric}; read on every /metrics request
     * @param status          the body of /status
     * @param healthy         whether /health answers 200 or 503
     * @param healthDetail    the {@code detail} of /health
     * @throws IllegalStateException when the address cannot be bound
     */
    public AdminServer(String name, String host, int port, MetricRegistry registry,
                       Supplier<Map<String, MetricRegistry>> extraRegistries, Supplier<Map<String, Object>> status,
                       BooleanSupplier healthy, Supplier<String> healthDetail) {
        this.name = Objects.requireNonNull(name, "name");
        ObjectMapper mapper = new ObjectMapper()
                .registerModule(new MetricsModule(TimeUnit.SECONDS, TimeUnit.MILLISECONDS, false, MetricFilter.ALL));
        AdminRoutes routes = new AdminRoutes(name, mapper,
                new MetricsJson(mapper, Objects.requireNonNull(registry, "registry"),
                        Objects.requireNonNull(extraRegistries, "extraRegistries")),
                Objects.requireNonNull(status, "status"), Objects.requireNonNull(healthy, "healthy"),
                Objects.requireNonNull(healthDetail, "healthDetail"));
        AdminHttpHandler handler = new AdminHttpHandler(name, routes);
        group = new MultiThreadIoEventLoopGroup(1, daemonThreads(name + "-admin"), NioIoHandler.newFactory());
        try {
            channel = new ServerBootstrap()
                    .group(group)
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_CONTENT_LENGTH), handler);
                        }
                    })
                    .bind(new InetSocketAddress(host, port))
                    .syncUninterruptibly()
                    .channel();
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException(name + ": cannot bind the admin server to " + host + ":" + port, e);
        }
        LOG.info("{}: admin server listening on {}", name, channel.localAddress());
    }

    /** The port actually bound (the ephemeral one when constructed with port 0). */
    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
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
