package io.dtm.coordinator.admin;

import io.dtm.pki.Identity;
import io.dtm.protocol.RpcContext;
import io.dtm.rpc.Access;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AttributeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Turns aggregated HTTP requests into {@link AdminRoutes} answers on the channel, honouring
 * keep-alive; with TLS, only for the admin role ({@link Access.Operation#ADMIN_HTTP}), any other
 * certificate getting 403 and the connection closed; closes a connection left idle. Keeps no state
 * but channel attributes, so one instance serves every connection.
 */
@ChannelHandler.Sharable
final class AdminHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(AdminHttpHandler.class);
    /** Why this connection's certificate may not read the port (empty: it may); decided at its first request. */
    private static final AttributeKey<Optional<String>> REFUSAL = AttributeKey.valueOf(AdminHttpHandler.class, "refusal");
    /** Set once an answer ends the connection: requests pipelined behind it are not served. */
    private static final AttributeKey<Boolean> CLOSING = AttributeKey.valueOf(AdminHttpHandler.class, "closing");

    private final String name;
    private final AdminRoutes routes;
    private final boolean tls;
    private final LongSupplier permissionDenied;

    /**
     * @param tls              whether connections come through TLS with a verified client certificate
     * @param permissionDenied counts a refused request and returns the count so far
     */
    AdminHttpHandler(String name, AdminRoutes routes, boolean tls, LongSupplier permissionDenied) {
        this.name = name;
        this.routes = routes;
        this.tls = tls;
        this.permissionDenied = permissionDenied;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (closing(ctx.channel())) {
            return;
        }
        Optional<String> refused = refusal(ctx.channel());
        if (refused.isPresent()) {
            long n = permissionDenied.getAsLong();
            if (n == 1 || n % 1_000 == 0) { // a hostile client must not flood the log as well
                LOG.warn("{}: refused an admin request from {}: {} ({} refused so far)", name,
                        ctx.channel().remoteAddress(), refused.get(), n);
            }
            // Nothing more for this certificate here: the connection goes, freeing its place for an admin's.
            write(ctx, request.protocolVersion(), routes.error(HttpResponseStatus.FORBIDDEN,
                    Map.of("error", "PERMISSION_DENIED: " + refused.get())), false);
            return;
        }
        if (request.decoderResult().isFailure()) {
            // The stream position after a malformed request is unknown: answer and hang up.
            AdminResponse bad = routes.error(HttpResponseStatus.BAD_REQUEST,
                    Map.of("error", "malformed request: " + request.decoderResult().cause()));
            write(ctx, request.protocolVersion(), bad, false);
            return;
        }
        AdminResponse response;
        try {
            response = routes.handle(request.method(), request.uri());
        } catch (RuntimeException e) {
            LOG.warn("{}: admin request {} {} failed", name, request.method(), request.uri(), e);
            response = routes.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, Map.of("error", String.valueOf(e)));
        }
        write(ctx, request.protocolVersion(), response, HttpUtil.isKeepAlive(request));
    }

    private static boolean closing(Channel channel) {
        return Boolean.TRUE.equals(channel.attr(CLOSING).get());
    }

    /** Without TLS everyone may read; with it, the role in the client's certificate decides (Access). */
    private Optional<String> refusal(Channel channel) {
        if (!tls) {
            return Optional.empty();
        }
        Optional<String> known = channel.attr(REFUSAL).get();
        if (known == null) {
            known = Access.roleRefusal(RpcContext.peerCertificateOf(channel).flatMap(Identity::of), Access.Operation.ADMIN_HTTP);
            channel.attr(REFUSAL).set(known);
        }
        return known;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            LOG.debug("{}: closing admin connection {}: idle past the idle timeout", name, ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A client hanging up, or sending what HTTP cannot decode (e.g. more than HttpServerCodec's 128
        // pipelined requests unanswered), is the client's doing; anything else is a fault of ours and must be visible.
        if (cause instanceof IOException || cause instanceof DecoderException) {
            LOG.debug("{}: admin connection {} failed, closing it", name, ctx.channel().remoteAddress(), cause);
        } else {
            LOG.warn("{}: admin connection {} failed, closing it", name, ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    private static void write(ChannelHandlerContext ctx, HttpVersion version, AdminResponse answer, boolean keepAlive) {
        FullHttpResponse response = new DefaultFullHttpResponse(version, answer.status(),
                Unpooled.wrappedBuffer(answer.json()));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (answer.status().equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
            response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
        }
        HttpUtil.setContentLength(response, answer.json().length);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.channel().attr(CLOSING).set(Boolean.TRUE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
