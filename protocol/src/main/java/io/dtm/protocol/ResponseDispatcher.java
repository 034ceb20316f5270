package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The inbound side of an {@link RpcClient}: holds the calls waiting for a reply, keyed by request
 * id, and completes each when the response carrying its id arrives.
 *
 * <p>Calls are added from any thread; responses, timeouts and the close are handled on the
 * connection's event loop, so the futures complete there.
 */
final class ResponseDispatcher<Resp extends MessageLite> extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(ResponseDispatcher.class);

    private final String address;
    private final ToLongFunction<Resp> requestIdOf;
    private final Map<Long, CompletableFuture<Resp>> pending = new ConcurrentHashMap<>();
    private volatile boolean closed;
    /** Responses read on this connection so far (written on the event loop only). */
    private volatile long responses;

    ResponseDispatcher(String address, ToLongFunction<Resp> requestIdOf) {
        this.address = address;
        this.requestIdOf = requestIdOf;
    }

    /** Waits for the response to {@code requestId}; fails the call at once if already closed. */
    void register(long requestId, CompletableFuture<Resp> reply) {
        CompletableFuture<Resp> previous = pending.putIfAbsent(requestId, reply);
        if (previous != null) {
            throw new IllegalStateException("request id " + requestId + " already in flight to " + address);
        }
        // A close that raced with this call may have failed the others before this one was added.
        if (closed && pending.remove(requestId, reply)) {
            reply.completeExceptionally(closedException());
        }
    }

    /** Stops waiting for {@code requestId}, e.g. because the call completed some other way. */
    void forget(long requestId, CompletableFuture<Resp> reply) {
        pending.remove(requestId, reply);
    }

    /**
     * Fails the call with a {@link TimeoutException} if its response has not come yet.
     *
     * @return whether it had not (the call timed out)
     */
    boolean expire(long requestId, Duration timeout) {
        CompletableFuture<Resp> reply = pending.remove(requestId);
        if (reply == null) {
            return false;
        }
        reply.completeExceptionally(new TimeoutException("no response from " + address + " to request "
                + requestId + " within " + timeout.toMillis() + " ms"));
        return true;
    }

    /** How many responses this connection has read; two readings tell whether anything came in between. */
    long responses() {
        return responses;
    }

    int inFlight() {
        return pending.size();
    }

    IOException closedException() {
        return new IOException("connection to " + address + " closed");
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        @SuppressWarnings("unchecked") // the frame decoder in front of this handler emits only Resp
        Resp response = (Resp) msg;
        responses++; // only this event loop writes it
        long requestId = requestIdOf.applyAsLong(response);
        CompletableFuture<Resp> reply = pending.remove(requestId);
        if (reply == null) {
            // Normal after a timeout or a cancel: the caller has already been answered.
            log.debug("dropping response from {} to request {} that is no longer awaited", address, requestId);
            return;
        }
        reply.complete(response);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        closed = true;
        for (Long requestId : pending.keySet()) {
            CompletableFuture<Resp> reply = pending.remove(requestId);
            if (reply != null) {
                reply.completeExceptionally(closedException());
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // The stream cannot be trusted after a bad frame; closing fails every pending call, and the
        // callers hear why. A peer that went away (reset, killed) is routine in a cluster: INFO.
        if (cause instanceof java.io.IOException) {
            log.info("closing connection to {}: {}", address, cause.toString());
        } else {
            log.warn("closing connection to {}: {}", address, cause.toString());
        }
        log.debug("connection to {} failed", address, cause);
        ctx.close();
    }
}
