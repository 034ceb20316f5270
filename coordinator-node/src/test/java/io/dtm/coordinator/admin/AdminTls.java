package io.dtm.coordinator.admin;

import io.dtm.config.ClusterConfig;
import io.dtm.config.TlsConfig;
import io.dtm.pki.CertificateAuthority;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.Identity;
import io.dtm.pki.PemFiles;
import io.dtm.protocol.ServerLimits;
import io.dtm.rpc.TlsContexts;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Certificates for admin-port tests, made as {@code dtm cluster start} makes them: a CA, node
 * {@code n1} serving on 127.0.0.1, and {@code admin}, {@code client}, {@code payment} (a service)
 * and {@code n2} (another node) to call it with; plus the odd ones: an expired {@code admin}
 * certificate of the same CA and an {@code admin} certificate of another CA.
 */
final class AdminTls {
    static final String NODE = "n1";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final SecureRandom random = new SecureRandom();
    final ClusterConfig config;

    AdminTls(Path dir) {
        this.dir = dir;
        config = ClusterConfig.loadDefault().withDataDir(dir.resolve("data"))
                .withTls(new TlsConfig(true, dir.resolve("tls"), null, null, null));
        new ClusterCertificates(dir.resolve("tls"), dir.resolve("ca")).create("local", List.of(
                new Holder(NODE, Identity.node(NODE), List.of("127.0.0.1", "localhost")),
                new Holder("n2", Identity.node("n2"), List.of("127.0.0.1")),
                new Holder("payment", Identity.service("payment"), List.of("127.0.0.1")),
                new Holder("admin", new Identity(Identity.Role.ADMIN, "admin"), List.of()),
                new Holder("client", new Identity(Identity.Role.CLIENT, "client"), List.of())), Instant.now(), random);
    }

    /** Where and how n1's admin port listens: its server context, and these bounds. */
    AdminServer.Listen listen(ServerLimits limits) {
        return new AdminServer.Listen("127.0.0.1", 0, TlsContexts.server(config, NODE).orElseThrow(), limits);
    }

    AdminServer.Listen listen() {
        return listen(ServerLimits.defaults());
    }

    /** The JDK context of the certificate {@code holder} of the cluster (admin, client, payment, n2). */
    SSLContext as(String holder) {
        return TlsContexts.jdkClient(config, holder).orElseThrow();
    }

    /** Trusts the cluster's CA, presents no certificate. */
    SSLContext withoutCertificate() {
        return TlsContexts.jdk(PemFiles.readCertificates(config.tlsCaFile()), null, List.of());
    }

    /** An admin certificate of the cluster's own CA that expired yesterday. */
    SSLContext expiredAdmin() {
        CertificateAuthority ca = new CertificateAuthority(PemFiles.readCertificate(config.tlsCaFile()),
                PemFiles.readKey(dir.resolve("ca/ca.key")), random);
        Instant now = Instant.now();
        CertificateAuthority.Issued expired = ca.issue(new Identity(Identity.Role.ADMIN, "admin"), List.of(),
                now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
        return TlsContexts.jdk(PemFiles.readCertificates(config.tlsCaFile()), expired.key(),
                List.of(expired.certificate()));
    }

    /** An admin certificate of another CA (trusting the cluster's, so that only the server can refuse). */
    SSLContext adminOfAnotherCa() {
        Path other = dir.resolve("other");
        new ClusterCertificates(other, dir.resolve("other-ca")).create("local", List.of(
                new Holder("admin", new Identity(Identity.Role.ADMIN, "admin"), List.of())), Instant.now(), random);
        return TlsContexts.jdk(PemFiles.readCertificates(config.tlsCaFile()), PemFiles.readKey(other.resolve("admin.key")),
                PemFiles.readCertificates(other.resolve("admin.pem")));
    }

    static HttpClient https(SSLContext context) {
        return HttpClient.newBuilder().sslContext(context).connectTimeout(TIMEOUT).build();
    }

    /** A TLS socket to the port, its handshake done (which, in TLS 1.3, the server may still refuse). */
    static SSLSocket socket(SSLContext context, int port) throws java.io.IOException {
        SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        socket.startHandshake();
        return socket;
    }
}
