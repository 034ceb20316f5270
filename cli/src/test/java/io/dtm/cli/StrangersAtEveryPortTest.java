package io.dtm.cli;

import io.dtm.config.NodeConfig;
import io.dtm.config.ServiceConfig;
import io.dtm.config.ServiceName;
import io.dtm.pki.CertificateAuthority;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.Identity;
import io.dtm.pki.PemFiles;
import io.dtm.protocol.Frames;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.RpcClient;
import io.dtm.protocol.participant.Inspect;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.rpc.NodeStatusRequest;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.dtm.rpc.TlsContexts;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every client port of a running cluster — each node's and each service's — refuses a stranger at
 * the handshake, before a single request is read: plain TCP, TLS without a certificate, a
 * certificate of another CA, and an expired certificate of the cluster's own CA (the wrong role is
 * RolesTest's, the Raft port RaftTlsTest's). Each stranger asks what anyone with a certificate may
 * ask (NODE_STATUS), or what only the operator may (INSPECT): an answer of any kind, an error
 * included, would mean the request was read.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StrangersAtEveryPortTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;
    private InProcessCluster cluster;
    private EventLoopGroup group;
    private final Map<String, SslContext> strangers = new LinkedHashMap<>();

    @BeforeAll
    void start() throws Exception {
        cluster = new InProcessCluster(tempDir.resolve("cluster"), 30_000).startAll();
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Path ca = cluster.config.tlsCaFile();
        strangers.put("plain TCP", null);
        strangers.put("TLS without a certificate", SslContextBuilder.forClient().trustManager(ca.toFile())
                .protocols(TlsContexts.PROTOCOL).build());
        Path other = tempDir.resolve("other-tls");
        new ClusterCertificates(other, tempDir.resolve("other-ca")).create("local", List.of(
                new Holder("admin", new Identity(Identity.Role.ADMIN, "admin"), List.of())), Instant.now(), new SecureRandom());
        strangers.put("an admin certificate of another CA", SslContextBuilder.forClient().trustManager(ca.toFile())
                .keyManager(other.resolve("admin.pem").toFile(), other.resolve("admin.key").toFile())
                .protocols(TlsContexts.PROTOCOL).build());
        CertificateAuthority own = new CertificateAuthority(PemFiles.readCertificate(ca),
                PemFiles.readKey(tempDir.resolve("cluster").resolve("ca").resolve(ClusterCertificates.CA_KEY)),
                new SecureRandom());
        Instant now = Instant.now();
        CertificateAuthority.Issued expired = own.issue(new Identity(Identity.Role.ADMIN, "admin"), List.of(),
                now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1)));
        strangers.put("an expired admin certificate of the cluster's CA", SslContextBuilder.forClient()
                .trustManager(ca.toFile()).keyManager(expired.key(), expired.certificate())
                .protocols(TlsContexts.PROTOCOL).build());
    }

    @AfterAll
    void stop() {
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyNodeAndServicePortRefusesEveryStranger() {
        List<String> outcomes = new ArrayList<>();
        for (var stranger : strangers.entrySet()) {
            for (NodeConfig node : cluster.config.nodes()) {
                outcomes.add(node.id() + ", " + stranger.getKey() + ": " + outcome(askNode(node, stranger.getValue())));
            }
            for (ServiceName service : ServiceName.values()) {
                outcomes.add(service.id() + ", " + stranger.getKey() + ": "
                        + outcome(askService(cluster.config.service(service), stranger.getValue())));
            }
        }
        assertThat(outcomes).hasSize(strangers.size() * 7).allSatisfy(line -> assertThat(line).endsWith(": refused"));
        // The same client with the cluster's admin certificate is answered: the refusals above were the handshake's.
        SslContext admin = TlsContexts.client(cluster.config, "admin").orElseThrow();
        assertThat(outcome(askNode(cluster.config.nodes().get(0), admin))).isEqualTo("answered");
        assertThat(outcome(askService(cluster.config.service(ServiceName.PAYMENT), admin))).isEqualTo("answered");
    }

    private CompletableFuture<?> askNode(NodeConfig node, SslContext tls) {
        return RpcClient.connect(group, node.host(), node.clientPort(), Response.parser(), Response::getRequestId,
                        Frames.DEFAULT_MAX_FRAME_BYTES, TIMEOUT, tls)
                .thenCompose(c -> c.call(id -> Request.newBuilder().setRequestId(id)
                        .setNodeStatus(NodeStatusRequest.getDefaultInstance()).build(), TIMEOUT)
                        .whenComplete((r, e) -> c.close()));
    }

    private CompletableFuture<?> askService(ServiceConfig service, SslContext tls) {
        return RpcClient.connect(group, service.host(), service.port(), ParticipantResponse.parser(),
                        ParticipantResponse::getRequestId, Frames.DEFAULT_MAX_FRAME_BYTES, TIMEOUT, tls)
                .thenCompose(c -> c.call(id -> ParticipantRequest.newBuilder().setRequestId(id)
                        .setInspect(Inspect.getDefaultInstance()).build(), TIMEOUT)
                        .whenComplete((r, e) -> c.close()));
    }

    /** "answered" when any reply came back (an error reply included: the request was read), "refused" otherwise. */
    private static String outcome(CompletableFuture<?> reply) {
        try {
            reply.get(20, TimeUnit.SECONDS);
            return "answered";
        } catch (ExecutionException e) {
            return e.getCause() instanceof RemoteException ? "answered" : "refused";
        } catch (Exception e) {
            return "no outcome: " + e;
        }
    }
}
