package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftSettings;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.CertificateAuthority;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.PemFiles;
import io.dtm.pki.Identity;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.RecordBatch;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Raft port speaks mutual TLS with node certificates only: the nodes replicate over it, a tool
 * presenting a node's certificate reaches the log, and a client with no TLS, a certificate of another
 * CA, an expired node certificate, or a certificate of the cluster's own CA that is not a node's (the
 * operator's) reaches nothing.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RaftTlsTest {
    @TempDir
    Path dir;
    private LocalLogCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void onlyClientsWithACertificateOfTheClustersCaReachTheLog() throws Exception {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        cluster.awaitLeader();
        ClusterConfig config = cluster.config();

        assertThat(cluster.newClient().appendProbe(LogRecords.begin("t-1#1", List.of("inventory"), Long.MAX_VALUE, 7))
                .get(60, TimeUnit.SECONDS).getDetail()).as("a tool with a node's certificate").contains("a probe");

        assertThatThrownBy(() -> append(config, new Parameters())).as("no TLS at all");

        Path other = dir.resolve("other-tls");
        new ClusterCertificates(other, dir.resolve("other-ca")).create("local",
                List.of(new Holder("admin", new Identity(Identity.Role.ADMIN, "admin"), List.of())), Instant.now(),
                new SecureRandom());
        Parameters otherCa = new Parameters();
        GrpcConfigKeys.TLS.setConf(otherCa, new GrpcTlsConfig(other.resolve("admin.key").toFile(),
                other.resolve("admin.pem").toFile(), config.tlsCaFile().toFile(), true));
        assertThatThrownBy(() -> append(config, otherCa)).as("a certificate of another CA");

        Parameters operator = new Parameters();
        GrpcConfigKeys.TLS.setConf(operator, new GrpcTlsConfig(config.tlsKeyFile("admin").toFile(),
                config.tlsCertFile("admin").toFile(), config.tlsCaFile().toFile(), true));
        assertThatThrownBy(() -> append(config, operator)).as("the cluster's own admin certificate: not a node's");

        // A node's certificate of the cluster's CA, but expired (issued for n2 and the host it runs on).
        CertificateAuthority ca = new CertificateAuthority(PemFiles.readCertificate(config.tlsCaFile()),
                PemFiles.readKey(dir.resolve("ca").resolve(ClusterCertificates.CA_KEY)), new SecureRandom());
        Instant now = Instant.now();
        CertificateAuthority.Issued expired = ca.issue(Identity.node("n2"), List.of(config.node("n2").host()),
                now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
        Path expiredDir = dir.resolve("expired");
        PemFiles.writeCertificates(expiredDir.resolve("n2.pem"), List.of(expired.certificate()));
        PemFiles.writeKey(expiredDir.resolve("n2.key"), expired.key());
        Parameters late = new Parameters();
        GrpcConfigKeys.TLS.setConf(late, new GrpcTlsConfig(expiredDir.resolve("n2.key").toFile(),
                expiredDir.resolve("n2.pem").toFile(), config.tlsCaFile().toFile(), true));
        assertThatThrownBy(() -> append(config, late)).as("a node's certificate of the cluster's CA, expired");

        // The same raw client with a node's material gets through: the refusals above were TLS's.
        assertThat(append(config, RaftSettings.parameters(config, "n2")).isSuccess()).isTrue();
    }

    private static org.apache.ratis.protocol.RaftClientReply append(ClusterConfig config, Parameters parameters)
            throws Exception {
        RecordBatch batch = RecordBatch.newBuilder().setTimestampMs(1).build(); // a clock report: changes no txn
        try (RaftClient client = RaftClient.newBuilder().setClientId(ClientId.randomId())
                .setRaftGroup(LogGroups.of(config).group(0))
                .setProperties(RaftSettings.client(config.withTimeouts(new io.dtm.config.TimeoutsConfig(1_000, 2_000,
                        2_000, 60_000))))
                .setParameters(parameters)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
                        org.apache.ratis.util.TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build()) {
            return client.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.toByteArray())));
        }
    }
}
