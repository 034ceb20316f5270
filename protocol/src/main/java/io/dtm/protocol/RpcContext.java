package io.dtm.protocol;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

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
