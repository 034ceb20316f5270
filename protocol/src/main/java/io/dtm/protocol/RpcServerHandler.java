package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-connection handler of an {@link RpcServer}: passes each request to the
 * {@link RpcHandler} and writes the reply whenever its future completes, on whatever thread.
 *
 * <p>Writes go through the framing's flush consolidation ({@link Frames#addCodec}): replies
 * produced while a read is in progress are flushed together in {@code channelReadComplete}, and
 * replies completed later from other threads are flushed once per event-loop turn.
 *
 * <p>Bounded ({@link ServerLimits}): the connection is read only while fewer than
 * {@code maxInFlight} of its requests are being served and its outbound buffer is under Netty's
 * high-water mark. A client that sends without reading its answers, or faster than they are served,
 * is held back by TCP instead of growing this server's memory; nothing is refused or dropped. A
 * connection idle past the idle timeout ({@link IdleStateEvent}) with nothing in flight is closed.
 */
final class RpcServerHandler<Req extends MessageLite, Resp extends MessageLite> extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RpcServerHandler.class);

    private final String serverName;
    private final RpcHandler<Req, Resp> handler;
    private final BiFunction<Req, Throwable, Resp> errorResponse;
    private final RpcContext context;
    private final int maxInFlight;
    /**
     * Requests read whose answers are not yet written to the socket (being served, or waiting in
     * the outbound buffers): counted up on the event loop, down on any thread.
     */
    private final AtomicInteger inFlight = new AtomicInteger();

    RpcServerHandler(String serverName, RpcHandler<Req, Resp> handler,
            BiFunction<Req, Throwable, Resp> errorResponse, RpcContext context, int maxInFlight) {
        this.serverName = serverName;
        this.handler = handler;
        this.errorResponse = errorResponse;
        this.context = context;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        log.debug("[{}] connection from {} opened", serverName, context.remoteAddress());
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        log.debug("[{}] connection from {} closed", serverName, context.remoteAddress());
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        @SuppressWarnings("unchecked") // the frame decoder in front of this handler emits only Req
        Req request = (Req) msg;
        if (inFlight.incrementAndGet() >= maxInFlight) {
            updateReading(ctx.channel());
        }
        CompletableFuture<Resp> reply;
        try {
            reply = handler.handle(request, context);
            if (reply == null) {
                reply = CompletableFuture.failedFuture(new IllegalStateException("handler returned no future"));
            }
        } catch (Exception e) {
            reply = CompletableFuture.failedFuture(e);
        }
        reply.whenComplete((response, failure) -> {
            if (failure == null && response != null) {
                send(ctx, request, response, false);
            } else {
                sendError(ctx, request, failure != null ? Failures.unwrap(failure)
                        : new IllegalStateException("handler completed with no response"));
            }
        });
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        updateReading(ctx.channel());
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent && inFlight.get() == 0) {
            log.info("[{}] closing connection from {}: idle past the idle timeout", serverName, context.remoteAddress());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    /** A request's answer was written (or will never be): reading resumes if this was what held it back. */
    private void answered(Channel channel) {
        inFlight.decrementAndGet();
        if (!channel.config().isAutoRead()) {
            if (channel.eventLoop().inEventLoop()) {
                updateReading(channel);
            } else {
                channel.eventLoop().execute(() -> updateReading(channel));
            }
        }
    }

    /** Reads while the connection has room for more requests and its answers are being taken; on the event loop. */
    private void updateReading(Channel channel) {
        boolean read = inFlight.get() < maxInFlight && channel.isWritable();
        if (channel.config().isAutoRead() != read) {
            log.debug("[{}] connection from {}: reading {} ({} in flight, writable {})", serverName,
                    context.remoteAddress(), read ? "resumed" : "paused", inFlight.get(), channel.isWritable());
            channel.config().setAutoRead(read);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A bad frame or an I/O error spoils this stream only: drop this connection, keep serving.
        // A client that went away (reset) is routine: INFO; anything else (bad frames) is WARN.
        if (cause instanceof java.io.IOException) {
            log.info("[{}] closing connection from {}: {}", serverName, context.remoteAddress(), cause.toString());
        } else {
            log.warn("[{}] closing connection from {}: {}", serverName, context.remoteAddress(), cause.toString());
        }
        log.debug("[{}] connection from {} failed", serverName, context.remoteAddress(), cause);
        ctx.close();
    }

    private void sendError(ChannelHandlerContext ctx, Req request, Throwable cause) {
        log.warn("[{}] {} from {} failed", serverName, request.getClass().getSimpleName(),
                context.remoteAddress(), cause);
        Resp response;
        try {
            response = errorResponse.apply(request, cause);
        } catch (RuntimeException e) {
            // Without a reply the client would wait for its timeout; closing tells it at once.
            log.error("[{}] cannot build an error response for {}; closing the connection",
                    serverName, context.remoteAddress(), e);
            answered(ctx.channel());
            ctx.close();
            return;
        }
        send(ctx, request, response, true);
    }

    private void send(ChannelHandlerContext ctx, Req request, Resp response, boolean isErrorReply) {
        ctx.writeAndFlush(response).addListener((ChannelFuture written) -> {
            if (written.isSuccess()) {
                answered(ctx.channel());
                return;
            }
            Throwable cause = written.cause();
            if (!written.channel().isActive()) {
                answered(ctx.channel());
                log.debug("[{}] client {} left before its response was sent", serverName, context.remoteAddress());
            } else if (cause instanceof EncoderException && !isErrorReply) {
                // Most likely a response over the frame limit: the client still deserves an answer
                // (and this request stays counted until that one is written).
                sendError(ctx, request, cause);
            } else {
                answered(ctx.channel());
                log.warn("[{}] cannot send response to {}; closing the connection",
                        serverName, context.remoteAddress(), cause);
                ctx.close();
            }
        });
    }

}
