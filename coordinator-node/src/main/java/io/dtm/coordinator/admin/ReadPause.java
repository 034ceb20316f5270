package io.dtm.coordinator.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops reading a connection whose answers pile up unread (a client pipelining requests and not
 * reading the answers: each {@code /metrics} can be tens of kilobytes) once its outbound buffer is
 * past the channel's high water mark, and reads it again when the client has caught up (below the
 * low one). Requests already decoded wait in a {@code FlowControlHandler} before this handler, so
 * nothing is lost or reordered. One instance serves every connection of a server.
 */
@ChannelHandler.Sharable
final class ReadPause extends ChannelDuplexHandler {
    private static final AttributeKey<Boolean> PAUSED = AttributeKey.valueOf(ReadPause.class, "paused");

    private final AtomicInteger paused = new AtomicInteger();

    /** Connections whose reading is paused now. */
    int pausedConnections() {
        return paused.get();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) throws Exception {
        super.flush(ctx);
        Channel channel = ctx.channel();
        if (!channel.isWritable() && channel.isActive() && mark(channel, true)) {
            paused.incrementAndGet();
            channel.config().setAutoRead(false);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        Channel channel = ctx.channel();
        if (channel.isWritable() && mark(channel, false)) {
            paused.decrementAndGet();
            channel.config().setAutoRead(true);
        }
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (mark(ctx.channel(), false)) {
            paused.decrementAndGet();
        }
        super.channelInactive(ctx);
    }

    /** Sets whether {@code channel} is paused; true when that changed it. */
    private static boolean mark(Channel channel, boolean pause) {
        Boolean was = channel.attr(PAUSED).getAndSet(pause);
        return pause != Boolean.TRUE.equals(was);
    }
}
