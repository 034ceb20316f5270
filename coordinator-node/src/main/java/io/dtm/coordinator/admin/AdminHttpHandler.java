package io.dtm.coordinator.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;

/**
 * Turns aggregated HTTP requests into {@link AdminRoutes} answers on the channel, honouring
 * keep-alive. Stateless, so one instance serves every connection.
 */
@ChannelHandler.Sharable
final class AdminHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(AdminHttpHandler.class);

    private final String name;
    private final AdminRoutes routes;

    AdminHttpHandler(String name, AdminRoutes routes) {
        this.name = name;
        this.routes = routes;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
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

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A client hanging up is routine; anything else is a fault of ours and must be visible.
        if (cause instanceof IOException) {
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
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
