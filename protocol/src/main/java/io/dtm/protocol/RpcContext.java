package io.dtm.protocol;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.Executor;

/**
 * What an {@link RpcHandler} may know about the connection a request came in on.
 */
public final class RpcContext {

    private final Channel channel;
    private final String remoteAddress;

    RpcContext(Channel channel) {
        this.channel = channel;
        this.remoteAddress = describe(channel.remoteAddress());
    }

    /** The client's address as {@code host:port}, for logs and error messages. */
    public String remoteAddress() {
        return remoteAddress;
    }

    /**
     * The connection's event loop. A reply completed on it is written without a hand-off, and
     * replies completed in one task there leave in one flush.
     */
    public Executor executor() {
        return channel.eventLoop();
    }

        /** False once the client has gone: work for it can be skipped, its reply will be dropped. */
    public boolean isConnected() {
        return channel.isActive();
    }

    @Override
    public String toString() {
        return remoteAddress;
    }

    static String describe(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getHostString() + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
