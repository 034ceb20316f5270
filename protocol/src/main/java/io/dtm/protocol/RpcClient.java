package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection to one server, carrying many requests at once. Each call gets the next
 * request id; the response repeating that id completes the call, whatever order responses come
 * in.
 *
 * <p>Calls may be made from any thread and never block. Writes are not flushed one by one: the
 * framing ({@link Frames#addCodec}) flushes once per event-loop turn, so concurrent calls share a
 * buffer and a system call.
 *
 * <p>The returned futures complete on the connection's event loop: dependent stages must not block
 * (use the {@code *Async} variants with an executor of your own for slow work).
 *
 * <p>Timeouts live on one {@link HashedWheelTimer} per process (10 ms ticks), not on the event
 * loop: scheduling and cancelling an event-loop task from the caller's thread would cost two
 * cross-thread hand-offs per call, each a possible wake-up of the loop, for a timer that almost
 * never fires. A call that does time out is failed on its event loop, like every other outcome.
 *
 * <p>A client does not reconnect: once {@link #isActive()} is false, connect a new one. A call that
 * times out while nothing at all came back on the connection since it was sent closes the
 * connection: the server, or the path to it, has been silent for a whole timeout. That is what a
 * connection looks like after a network partition heals: TCP retransmits what the partition dropped
 * only as its backoff allows (seconds, then minutes), so every call on it keeps timing out while a
 * new connection would get through at once. Callers replace a closed client on their next call.
 *
 * @param <Req> the request message type
 * @param <Resp> the response message type
 */
public final class RpcClient<Req extends MessageLite, Resp extends MessageLite> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RpcClient.class);

    /** Every call's timeout; a daemon thread, shared by all clients of the process. */
    private static final HashedWheelTimer TIMEOUTS = new HashedWheelTimer(r -> {
        Thread t = new Thread(r, "dtm-rpc-timeouts");
        t.setDaemon(true);
        return t;
    }, 10, TimeUnit.MILLISECONDS, 512);

    private final Channel channel;
    private final String address;
    private final ResponseDispatcher<Resp> dispatcher;
    private final AtomicLong lastRequestId = new AtomicLong();

    private RpcClient(Channel channel, String address, ResponseDispatcher<Resp> dispatcher) {
        this.channel = channel;
        this.address = address;
        this.dispatcher = dispatcher;
    }

    /**
     * Connects to {@code host:port}.
     *
     * <p>{@code host} is resolved on the calling thread (so that a slow DNS lookup never stalls an
     * event loop): call this from an event loop only with a literal IP address.
     *
     * @param group runs the connection; owned by the caller, must be an NIO group
     * @param responseParser parses one response frame
     * @param requestIdOf reads the request id a response answers
     * @param maxFrameBytes the largest message sent or accepted, without the length field
     * @param connectTimeout how long to wait for the TCP connection
     * @return completes with the connected client, or fails with an {@link IOException}
     */
    public static <Req extends MessageLite, Resp extends MessageLite>
            CompletableFuture<RpcClient<Req, Resp>> connect(
                    EventLoopGroup group, String host, int port, Parser<Resp> responseParser,
                    ToLongFunction<Resp> requestIdOf, int maxFrameBytes, Duration connectTimeout) {
        return connect(group, host, port, responseParser, requestIdOf, maxFrameBytes, connectTimeout, null);
    }

    /**
     * As {@link #connect(EventLoopGroup, String, int, Parser, ToLongFunction, int, Duration)}, over TLS
     * with {@code tls} (a client context: it presents this process's certificate and checks the
     * server's against the trusted CA and {@code host}); null for plain TCP. The future completes
     * once the handshake has, and fails with an {@link IOException} saying why when it fails.
     */
    public static <Req extends MessageLite, Resp extends MessageLite>
            CompletableFuture<RpcClient<Req, Resp>> connect(
                    EventLoopGroup group, String host, int port, Parser<Resp> responseParser,
                    ToLongFunction<Resp> requestIdOf, int maxFrameBytes, Duration connectTimeout, SslContext tls) {
        if (tls != null && !tls.isClient()) {
            throw new IllegalArgumentException("a client needs a client-side SslContext");
        }
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(responseParser, "responseParser");
        Objects.requireNonNull(requestIdOf, "requestIdOf");
        Frames.checkMaxFrameBytes(maxFrameBytes);
        // At least 1 ms: Netty reads 0 as "no timeout".
        long connectTimeoutMs = Math.max(1, checkPositive(connectTimeout, "connectTimeout").toMillis());
        String address = host + ":" + port;
        InetSocketAddress remote = new InetSocketAddress(host, port);
        if (remote.isUnresolved()) {
            return CompletableFuture.failedFuture(new UnknownHostException("cannot resolve " + address));
        }

        ResponseDispatcher<Resp> dispatcher = new ResponseDispatcher<>(address, requestIdOf);
        Bootstrap bootstrap = bootstrap(group, responseParser, maxFrameBytes, connectTimeoutMs, dispatcher, tls, host,
                port);

        CompletableFuture<RpcClient<Req, Resp>> connected = new CompletableFuture<>();
        bootstrap.connect(remote).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                connected.completeExceptionally(new IOException("cannot connect to " + address, f.cause()));
                return;
            }
            SslHandler ssl = f.channel().pipeline().get(SslHandler.class);
            if (ssl == null) {
                ready(connected, f.channel(), address, dispatcher);
                return;
            }
            ssl.handshakeFuture().addListener(handshake -> {
                if (handshake.isSuccess()) {
                    ready(connected, f.channel(), address, dispatcher);
                } else {
                    f.channel().close();
                    connected.completeExceptionally(new IOException("TLS handshake with " + address + " failed: "
                            + Failures.describe(handshake.cause()), handshake.cause()));
                }
            });
        });
        return connected;
    }

    private static <Req extends MessageLite, Resp extends MessageLite> void ready(
            CompletableFuture<RpcClient<Req, Resp>> connected, Channel channel, String address,
            ResponseDispatcher<Resp> dispatcher) {
        // A caller that gave up (cancelled) will never close this connection: do it here.
        if (!connected.complete(new RpcClient<>(channel, address, dispatcher))) {
            channel.close();
        }
    }

    /**
     * Sends one request and waits for its response.
     *
     * @param requestWithId builds the request carrying the given request id
     * @param timeout how long to wait for the response
     * @return the response; fails with {@link java.util.concurrent.TimeoutException} when none came
     *     in time, with an {@link IOException} when the connection is or becomes closed, and with an
     *     {@link EncoderException} when the request exceeds the maximum frame size
     */
    public CompletableFuture<Resp> call(LongFunction<Req> requestWithId, Duration timeout) {
        Objects.requireNonNull(requestWithId, "requestWithId");
        long timeoutNanos = checkPositive(timeout, "timeout").toNanos();
        if (!isActive()) {
            return CompletableFuture.failedFuture(dispatcher.closedException());
        }
        long requestId = lastRequestId.incrementAndGet();
        Req request;
        try {
            request = Objects.requireNonNull(requestWithId.apply(requestId), "requestWithId returned null");
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }

        CompletableFuture<Resp> reply = new CompletableFuture<>();
        dispatcher.register(requestId, reply);
        long responsesBefore = dispatcher.responses();
        Timeout timer = TIMEOUTS.newTimeout(expired -> expire(requestId, timeout, responsesBefore), timeoutNanos,
                TimeUnit.NANOSECONDS);
        // One clean-up path for every outcome: response, timeout, close, send failure or cancel.
        reply.whenComplete((response, failure) -> {
            dispatcher.forget(requestId, reply);
            timer.cancel();
        });
        channel.writeAndFlush(request).addListener(written -> {
            if (!written.isSuccess()) {
                // Forget first, as every other path does: whoever sees the failure sees it gone.
                dispatcher.forget(requestId, reply);
                reply.completeExceptionally(sendFailure(written.cause()));
            }
        });
        return reply;
    }

    private void expire(long requestId, Duration timeout, long responsesBefore) {
        try {
            channel.eventLoop().execute(() -> {
                if (dispatcher.expire(requestId, timeout) && dispatcher.responses() == responsesBefore
                        && channel.isActive()) {
                    LOG.info("closing the connection to {}: nothing came back on it for {} ms (a stalled connection,"
                            + " as after a partition; the next call connects anew)", address, timeout.toMillis());
                    channel.close();
                }
            });
        } catch (RejectedExecutionException e) {
            dispatcher.expire(requestId, timeout); // the event loop is gone: fail the call here
        }
    }

    /** True while the connection is open and accepts calls. */
    public boolean isActive() {
        return channel.isActive();
    }

    /** Calls sent and not yet answered, timed out or failed. */
    public int inFlight() {
        return dispatcher.inFlight();
    }

    /** The server's address as given to {@link #connect}, {@code host:port}. */
    public String address() {
        return address;
    }

    /**
     * Closes the connection without waiting; every pending call fails with an {@link IOException}.
     * Safe to call more than once and from any thread, event loops included.
     */
    @Override
    public void close() {
        channel.close();
    }

    @Override
    public String toString() {
        return "RpcClient[" + address + (isActive() ? "" : ", closed") + "]";
    }

    private static <Resp extends MessageLite> Bootstrap bootstrap(EventLoopGroup group, Parser<Resp> responseParser,
            int maxFrameBytes, long connectTimeoutMs, ResponseDispatcher<Resp> dispatcher, SslContext tls, String host,
            int port) {
        return new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMs))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ChannelPipeline pipeline = ch.pipeline();
                        if (tls != null) {
                            // host and port: the server's certificate must name host (hostname check).
                            pipeline.addLast(tls.newHandler(ch.alloc(), host, port));
                        }
                        Frames.addCodec(pipeline, responseParser, maxFrameBytes);
                        pipeline.addLast(dispatcher);
                    }
                });
    }

    private Throwable sendFailure(Throwable cause) {
        // An oversize request is the caller's error, not the connection's: report it as it is.
        if (cause instanceof EncoderException) {
            return cause;
        }
        return isActive()
                ? new IOException("cannot send to " + address, cause)
                : new IOException("connection to " + address + " closed", cause);
    }

    private static Duration checkPositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + duration);
        }
        return duration;
    }
}
