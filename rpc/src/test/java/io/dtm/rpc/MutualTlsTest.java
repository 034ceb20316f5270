package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.TlsConfig;
import io.dtm.pki.CertificateAuthority;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.Identity;
import io.dtm.pki.PemFiles;
import io.dtm.protocol.Frames;
import io.dtm.protocol.RpcClient;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Mutual TLS on a real socket with real handshakes: a server made by {@link TlsContexts} serves only
 * clients with a valid certificate of the cluster's CA, and a client trusts only a server whose
 * certificate is the CA's and names the host it dialled. Everything else is refused before a single
 * request is read, and counted.
 */
class MutualTlsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    @TempDir
    Path dir;
    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger served = new AtomicInteger();
    private ClusterConfig config;
    private RpcServer<Request, Response> server;
    private EventLoopGroup group;

    @BeforeEach
    void start() throws Exception {
        config = ClusterConfig.loadDefault().withDataDir(dir.resolve("data"))
                .withTls(new TlsConfig(true, dir.resolve("tls"), null, null, null));
        new ClusterCertificates(dir.resolve("tls"), dir.resolve("ca")).create("local", List.of(
                new Holder("n1", Identity.node("n1"), List.of("127.0.0.1", "localhost")),
                new Holder("client", new Identity(Identity.Role.CLIENT, "client"), List.of())), Instant.now(), random);
        server = RpcServer.builder(Request.parser(), (request, context) -> {
            served.incrementAndGet();
            // Answers with who the server saw: the certificate's identity.
            String peer = context.peerCertificate().flatMap(Identity::of).map(Identity::toString).orElse("nobody");
            return CompletableFuture.completedFuture(Response.newBuilder().setRequestId(request.getRequestId())
                    .setNodeStatus(NodeStatus.newBuilder().setNodeId(peer)).build());
        }, (request, failure) -> Response.newBuilder().setRequestId(request.getRequestId()).build())
                .name("tls-test").tls(TlsContexts.server(config, "n1").orElseThrow()).start("127.0.0.1", 0);
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    }

    @AfterEach
    void stop() {
        server.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aClientWithTheClustersCertificateIsServedAndKnownByItsRole() throws Exception {
        RpcClient<Request, Response> client = connect("127.0.0.1", TlsContexts.client(config, "client").orElseThrow()).get();

        assertThat(call(client).get().getNodeStatus().getNodeId()).isEqualTo("client client");
        assertThat(server.refusedHandshakes()).isZero();
        client.close();
    }

    @Test
    void onLinuxX86TheBuildsBoringSslIsTheProvider() {
        boolean shipped = System.getProperty("os.name").startsWith("Linux")
                && System.getProperty("os.arch").matches("amd64|x86_64");
        assertThat(TlsContexts.provider()).isEqualTo(shipped ? SslProvider.OPENSSL : TlsContexts.provider());
    }

    @Test
    void aPlainTcpClientIsRefused() {
        assertRefused(null);
    }

    @Test
    void aTlsClientWithoutACertificateIsRefused() throws Exception {
        assertRefused(SslContextBuilder.forClient().trustManager(config.tlsCaFile().toFile())
                .protocols(TlsContexts.PROTOCOL).build());
    }

    @Test
    void aCertificateFromAnotherCaIsRefused() throws Exception {
        Path other = dir.resolve("other");
        new ClusterCertificates(other, dir.resolve("other-ca")).create("local", List.of(
                new Holder("client", new Identity(Identity.Role.CLIENT, "client"), List.of())), Instant.now(), random);
        assertRefused(SslContextBuilder.forClient().trustManager(config.tlsCaFile().toFile())
                .keyManager(other.resolve("client.pem").toFile(), other.resolve("client.key").toFile())
                .protocols(TlsContexts.PROTOCOL).build());
    }

    @Test
    void anExpiredCertificateOfTheClustersCaIsRefused() throws Exception {
        CertificateAuthority ca = new CertificateAuthority(PemFiles.readCertificate(config.tlsCaFile()),
                PemFiles.readKey(dir.resolve("ca/ca.key")), random);
        Instant now = Instant.now();
        CertificateAuthority.Issued expired = ca.issue(new Identity(Identity.Role.CLIENT, "late"), List.of(),
                now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
        assertRefused(SslContextBuilder.forClient().trustManager(config.tlsCaFile().toFile())
                .keyManager(expired.key(), expired.certificate()).protocols(TlsContexts.PROTOCOL).build());
    }

    @Test
    void aClientRefusesAServerWhoseCertificateDoesNotNameTheHostItDialled() throws Exception {
        // 127.0.0.2 reaches the same loopback server, but n1's certificate names 127.0.0.1 and localhost only.
        RpcServer<Request, Response> elsewhere = RpcServer.builder(Request.parser(),
                        (Request request, io.dtm.protocol.RpcContext context) -> CompletableFuture.completedFuture(
                                Response.newBuilder().setRequestId(request.getRequestId()).build()),
                        (request, failure) -> Response.newBuilder().build())
                .tls(TlsContexts.server(config, "n1").orElseThrow()).start("127.0.0.2", 0);
        try {
            CompletableFuture<RpcClient<Request, Response>> connected = RpcClient.connect(group, "127.0.0.2",
                    elsewhere.port(), Response.parser(), Response::getRequestId, Frames.DEFAULT_MAX_FRAME_BYTES, TIMEOUT,
                    TlsContexts.client(config, "client").orElseThrow());
            assertThatThrownBy(connected::get).isInstanceOf(ExecutionException.class)
                    .hasMessageContaining("TLS handshake with 127.0.0.2:" + elsewhere.port() + " failed")
                    .hasMessageContaining("127.0.0.2");
        } finally {
            elsewhere.close();
        }
    }

    @Test
    void aJdkContextPresentsTheProcesssCertificateAndTrustsTheClustersCa() throws Exception {
        SSLContext jdk = TlsContexts.jdkClient(config, "client").orElseThrow();
        try (SSLSocket socket = (SSLSocket) jdk.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            socket.startHandshake();

            assertThat(socket.getSession().getProtocol()).isEqualTo(TlsContexts.PROTOCOL);
            assertThat(Identity.of((X509Certificate) socket.getSession().getPeerCertificates()[0]))
                    .hasValue(Identity.node("n1"));
            assertThat(Identity.of((X509Certificate) socket.getSession().getLocalCertificates()[0]))
                    .hasValue(new Identity(Identity.Role.CLIENT, "client"));
        }
        assertThat(TlsContexts.jdkClient(config.withTls(config.tls().withEnabled(false)), "client")).isEmpty();
        assertThatThrownBy(() -> TlsContexts.jdkClient(config, "n7")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("dtm certs create");
    }

    @Test
    void aProcessWhoseCertificateIsMissingIsToldWhatToDo() {
        assertThatThrownBy(() -> TlsContexts.client(config, "n7")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("tls/n7.pem").toString())
                .hasMessageContaining("dtm certs create");
        assertThat(TlsContexts.server(config.withTls(config.tls().withEnabled(false)), "n7")).isEmpty();
    }

    /** Whatever the client gets (a failed handshake, or a handshake the server then rejects), no request is served. */
    private void assertRefused(SslContext clientTls) {
        long before = server.refusedHandshakes();
        CompletableFuture<Response> reply = connect("127.0.0.1", clientTls).thenCompose(MutualTlsTest::call);

        assertThatThrownBy(() -> reply.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.refusedHandshakes() == before + 1);
        assertThat(served).as("nothing was served").hasValue(0);
        assertThat(server.openConnections()).isZero();
    }

    private CompletableFuture<RpcClient<Request, Response>> connect(String host, SslContext tls) {
        return RpcClient.connect(group, host, server.port(), Response.parser(), Response::getRequestId,
                Frames.DEFAULT_MAX_FRAME_BYTES, TIMEOUT, tls);
    }

    private static CompletableFuture<Response> call(RpcClient<Request, Response> client) {
        return client.call(id -> Request.newBuilder().setRequestId(id).build(), TIMEOUT);
    }
}
