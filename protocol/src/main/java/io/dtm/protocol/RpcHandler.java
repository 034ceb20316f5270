package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import java.util.concurrent.CompletableFuture;

/**
 * Serves the requests an {@link RpcServer} receives.
 *
 * <p>Called on the connection's event loop, so it must not block: hand slow work to another
 * executor and return a future that completes later. The response must carry the request's id.
 * A future completed exceptionally, or an exception thrown here, is logged by the server and
 * turned into a reply by its error-response function; the connection stays open.
 *
 * @param <Req> the request message type
 * @param <Resp> the response message type
 */
@FunctionalInterface
public interface RpcHandler<Req extends MessageLite, Resp extends MessageLite> {

    /** Starts serving {@code request}; the future's value is sent back as the reply. */
    CompletableFuture<Resp> handle(Req request, RpcContext context);
}
