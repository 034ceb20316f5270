package io.dtm.jepsen.run;

import io.dtm.config.ClusterConfig;
import io.dtm.log.RatisMetricsReporting;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftSettings;
import io.dtm.protocol.Failures;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.TxnRecord;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The rogue with a node's stolen key: the Raft port lets it in (it trusts node certificates), so it
 * appends records straight to the log with Ratis's client — a COMMIT of each attempt the services
 * hold prepared, claiming the leader's current term, and an ABORT with no term. The log must refuse
 * every one ("refused by the log": records come only from the leader's own appender); one that is
 * appended is counted {@code accepted}, and the COMMIT of an attempt a service voted NO on would
 * also show in the other checkers.
 */
final class RaftAppends {
    private static final int ATTEMPTS = 2;
    private static final long RETRY_MS = 200;

    private RaftAppends() {
    }

    static void tryAll(ClusterConfig config, List<String> prepared, long term, Map<String, Integer> denied,
            Map<String, Integer> accepted, List<String> otherErrors) {
        String stolen = config.nodes().get(config.nodes().size() - 1).id();
        RatisMetricsReporting.install(); // as every Raft client of ours: Ratis's metrics without its JMX reporter
        try (RaftClient raft = RaftClient.newBuilder().setClientId(ClientId.randomId())
                .setRaftGroup(LogGroups.of(config).group(0))
                .setProperties(RaftSettings.client(config))
                .setParameters(RaftSettings.parameters(config, stolen))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(ATTEMPTS,
                        TimeDuration.valueOf(RETRY_MS, TimeUnit.MILLISECONDS)))
                .build()) {
            for (String attempt : prepared) {
                send(raft, "RAFT_APPEND_COMMIT", LogRecords.decide(attempt, Outcome.COMMIT, "", "coordinator:" + stolen),
                        term, denied, accepted, otherErrors);
                send(raft, "RAFT_APPEND_ABORT", LogRecords.decide(attempt, Outcome.ABORT, "rogue", "participant:payment"),
                        0, denied, accepted, otherErrors);
            }
        } catch (Exception e) {
            otherErrors.add("Raft client: " + Failures.describe(e));
        }
    }

    private static void send(RaftClient raft, String what, TxnRecord record, long term, Map<String, Integer> denied,
            Map<String, Integer> accepted, List<String> otherErrors) {
        RecordBatch batch = RecordBatch.newBuilder().setTimestampMs(System.currentTimeMillis()).setProposerTerm(term)
                .addRecords(record).build();
        String refusal;
        try {
            RaftClientReply reply = raft.io().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.toByteArray())));
            if (reply.isSuccess()) {
                accepted.merge(what, 1, Integer::sum);
                return;
            }
            refusal = String.valueOf(reply.getException());
        } catch (Exception e) {
            refusal = Failures.describe(e);
        }
        if (refusal.contains("refused by the log")) {
            denied.merge(what, 1, Integer::sum);
        } else {
            otherErrors.add(what + ": " + refusal); // no leader right now (another nemesis): nothing got in
        }
    }
}
