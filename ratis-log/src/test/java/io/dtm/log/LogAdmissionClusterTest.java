package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.config.TimeoutsConfig;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftSettings;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The log takes records only from its leader's own path (AppendAdmission): a Raft client holding a
 * node's certificate, which the Raft port lets in, can send clock reports and probes and nothing
 * that changes a transaction, whatever term it claims.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LogAdmissionClusterTest {
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");

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
    void aRaftClientWithANodesCertificateCannotChangeATransaction() throws Exception {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        long term = cluster.server(leader).status().getTerm();
        assertThat(cluster.appendAsLeader(LogRecords.begin("victim#1", FOUR, Long.MAX_VALUE)).join().getDisposition())
                .isEqualTo(Disposition.APPLIED);

        try (RaftClient raw = rawClient(cluster.config(), "n2")) {
            assertThat(send(raw, batch(0, LogRecords.begin("forged#1", FOUR, Long.MAX_VALUE))))
                    .as("a Begin with no proposer term").contains("records are taken only from the leader's own");
            assertThat(send(raw, batch(term, LogRecords.decide("victim#1", Outcome.COMMIT, "", "coordinator:" + leader))))
                    .as("a COMMIT of an attempt in flight, claiming the leader's own term")
                    .contains("records are taken only from the leader's own");
            assertThat(send(raw, batch(0, LogRecords.decide("victim#1", Outcome.ABORT, "forged", "participant:payment"))))
                    .as("an ABORT with no proposer term").contains("records are taken only from the leader's own");
            assertThat(send(raw, RecordBatch.newBuilder().setTimestampMs(System.currentTimeMillis()).build()))
                    .as("a clock report").isEqualTo("applied");
            assertThat(send(raw, batch(0, LogRecords.begin("measured#1", FOUR, Long.MAX_VALUE)).toBuilder()
                    .setProbe(true).build())).as("a probe").isEqualTo("applied");
        }

        TxnLogClient reads = cluster.newClient();
        assertThat(reads.read("victim#1").join().getOutcome()).as("nobody decided the victim").isEqualTo(Outcome.UNDECIDED);
        assertThat(reads.read("forged#1").join().getStatus()).isEqualTo(TxnStatus.UNKNOWN);
        assertThat(reads.read("measured#1").join().getStatus()).as("a probe begins nothing").isEqualTo(TxnStatus.UNKNOWN);
        assertThat(cluster.server(leader).stateMachine(0).refusedAppends()).as("counted by the leader").isEqualTo(3);
        // The leader's own coordinator still decides.
        assertThat(cluster.appendAsLeader(LogRecords.decide("victim#1", Outcome.COMMIT, "", "coordinator:" + leader))
                .join().getOutcome()).isEqualTo(Outcome.COMMIT);
    }

    @Test
    void anAppenderHasATerm() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        assertThatThrownBy(() -> cluster.server(leader).appender("termless", 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    }

    private static RecordBatch batch(long proposerTerm, TxnRecord record) {
        return RecordBatch.newBuilder().setTimestampMs(System.currentTimeMillis()).setProposerTerm(proposerTerm)
                .addRecords(record).build();
    }

    /** "applied", or the reason the log gave for refusing the entry. */
    private static String send(RaftClient client, RecordBatch batch) {
        try {
            RaftClientReply reply = client.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.toByteArray())));
            return reply.isSuccess() ? "applied" : String.valueOf(reply.getException());
        } catch (Exception e) {
            return String.valueOf(e);
        }
    }

    private static RaftClient rawClient(ClusterConfig config, String asNode) {
        return RaftClient.newBuilder().setClientId(ClientId.randomId())
                .setRaftGroup(LogGroups.of(config).group(0))
                .setProperties(RaftSettings.client(config.withTimeouts(new TimeoutsConfig(1_000, 2_000, 5_000, 60_000))))
                .setParameters(RaftSettings.parameters(config, asNode))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3, TimeDuration.valueOf(100,
                        TimeUnit.MILLISECONDS)))
                .build();
    }
}
