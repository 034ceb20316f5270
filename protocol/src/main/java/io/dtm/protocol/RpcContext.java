package io.dtm.protocol;

import io.netty.handler.ssl.SslHandler;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;
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
    /** The peer's certificate once read (null: not yet). */
    private volatile Optional<X509Certificate> peer;

    RpcContext(Channel channel) {
        this.channel = channel;
        this.remoteAddress = describe(channel.remoteAddress());
    }

    /**
     * The certificate the client presented in the TLS handshake (already verified against the
     * server's trusted CA), or empty on a plain-TCP server. Requests are read only after the
     * handshake, so it is known whenever a handler runs.
     */
    public Optional<X509Certificate> peerCertificate() {
        Optional<X509Certificate> known = peer;
        if (known == null) {
            known = readPeer();
            peer = known;
        }
        return known;
    }

    private Optional<X509Certificate> readPeer() {
        return peerCertificateOf(channel);
    }

    /** The certificate the peer of {@code channel} presented in its TLS handshake; empty without TLS. */
    public static Optional<X509Certificate> peerCertificateOf(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? Optional.of(x509) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
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
