package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.EncoderException;
import java.util.concurrent.CompletableFuture;
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
 */
final class RpcServerHandler<Req extends MessageLite, Resp extends MessageLite> extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(RpcServerHandler.class);

    private final String serverName;
    private final RpcHandler<Req, Resp> handler;
    private final BiFunction<Req, Throwable, Resp> errorResponse;
    private final RpcContext context;

    RpcServerHandler(String serverName, RpcHandler<Req, Resp> handler,
            BiFunction<Req, Throwable, Resp> errorResponse, RpcContext context) {
        this.serverName = serverName;
        this.handler = handler;
        this.errorResponse = errorResponse;
        this.context = context;
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
            ctx.close();
            return;
        }
        send(ctx, request, response, true);
    }

    private void send(ChannelHandlerContext ctx, Req request, Resp response, boolean isErrorReply) {
        ctx.writeAndFlush(response).addListener((ChannelFuture written) -> {
            if (written.isSuccess()) {
                return;
            }
            Throwable cause = written.cause();
            if (!written.channel().isActive()) {
                log.debug("[{}] client {} left before its response was sent", serverName, context.remoteAddress());
            } else if (cause instanceof EncoderException && !isErrorReply) {
                // Most likely a response over the frame limit: the client still deserves an answer.
                sendError(ctx, request, cause);
            } else {
                log.warn("[{}] cannot send response to {}; closing the connection",
                        serverName, context.remoteAddress(), cause);
                ctx.close();
            }
        });
    }

}
