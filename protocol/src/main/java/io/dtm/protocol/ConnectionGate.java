package io.dtm.protocol;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a server lets in: at most so many connections open at once (those past the cap are closed as
 * soon as they are accepted) and, with TLS, only connections whose handshake succeeded. Both refusals
 * are counted, and logged at the first and then every 1,000th, so that a flood does not flood the log
 * as well. One gate per listening port, shared by its connections; thread-safe.
 */
public final class ConnectionGate {
    private static final Logger log = LoggerFactory.getLogger(ConnectionGate.class);

    private final String name;
    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong refusedHandshakes = new AtomicLong();

    /**
     * @param name tag of log lines, e.g. {@code n1-client}
     * @param maxConnections connections open at once, at least 1
     */
    public ConnectionGate(String name, int maxConnections) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + maxConnections);
        }
        this.name = name;
        this.max = maxConnections;
    }

    /**
     * Whether the new connection may stay; if so it is counted until it closes. The caller closes a
     * connection refused here.
     */
    public boolean admit(Channel channel) {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            long n = refused.incrementAndGet();
            if (n == 1 || n % 1_000 == 0) {
                log.warn("[{}] {} connections open, the most allowed (maxConnections): closed the one from {}"
                        + " ({} turned away so far)", name, max, channel.remoteAddress(), n);
            }
            return false;
        }
        channel.closeFuture().addListener(f -> open.decrementAndGet());
        return true;
    }

    /**
     * A handler to put right after the {@code SslHandler}: closes the connection when its handshake
     * fails (no certificate, another CA's, an expired one, not TLS at all), counting it, and leaves the
     * pipeline once a handshake has succeeded.
     */
    public ChannelHandler handshakeWatch() {
        return new HandshakeWatch();
    }

    /** Connections open now. */
    public int openConnections() {
        return open.get();
    }

    /** Connections closed on arrival since the start, because the most allowed were open. */
    public long refusedConnections() {
        return refused.get();
    }

    /** TLS handshakes that failed since the start. */
    public long refusedHandshakes() {
        return refusedHandshakes.get();
    }

    private void handshakeFailed(Channel channel, Throwable cause) {
        long n = refusedHandshakes.incrementAndGet();
        if (n == 1 || n % 1_000 == 0) {
            log.warn("[{}] refused a connection from {}: TLS handshake failed ({}) ({} refused so far)", name,
                    channel.remoteAddress(), Failures.describe(cause), n);
        }
    }

    /** Counts and logs failed handshakes, then leaves the pipeline once one has succeeded. */
    private final class HandshakeWatch extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof SslHandshakeCompletionEvent done) {
                if (done.isSuccess()) {
                    ctx.pipeline().remove(this);
                } else {
                    handshakeFailed(ctx.channel(), done.cause());
                    ctx.close();
                }
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Before the handshake ends, an error is the handshake's (reported by the event above).
            ctx.close();
        }
    }
}
