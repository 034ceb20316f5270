package io.dtm.cli;

import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.NodeClient;
import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.ClusterLauncher;
import io.dtm.cli.load.SampleRequests;
import io.dtm.client.DtmClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.CoordinatorConfig;
import io.dtm.config.LogConfig;
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.config.RetentionConfig;
import io.dtm.config.ServiceName;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.ParticipantClient;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.TlsContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The two false answers reported from outside, replayed on real processes (three nodes, four
 * services, as {@code dtm cluster start} runs them): an order that aborted must never be answered
 * COMMITTED when its tid comes again after its outcome left retention, and one-phase transactions
 * with a 1 ms deadline must all be answered and leave nothing in flight.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class AnswersForLifeIT extends ProcessClusterHarness {
    /** Retention so small that two later transactions push an outcome out, and three more its id. */
    private static final RetentionConfig TINY = new RetentionConfig(2, 3_600_000, 3);

    private int n = 500;

    AnswersForLifeIT() {
        super("answers-for-life");
    }

    @Override
    ClusterConfig configure(ClusterConfig base) {
        LogConfig log = base.log();
        CoordinatorConfig c = base.coordinator();
        return base
                .withLog(log.withRetention(TINY))
                // No answers kept by the leader: a resubmit meets the log, as after a failover.
                .withCoordinator(new CoordinatorConfig(c.prepareTimeoutMs(), c.prepareAttempts(), c.retryBackoffMs(),
                        c.retryBackoffMaxMs(), c.transactionTimeoutMs(), c.maxAttempts(), c.lockBackoffMs(),
                        c.maxInFlight(), 0));
    }

    private SubmitRequest order(String tid, int timeoutMs) {
        return sampleOrder(tid, n++).setTimeoutMs(timeoutMs).build();
    }

    private SubmitResult submit(SubmitRequest request) throws Exception {
        return client.submit(request).get(90, TimeUnit.SECONDS);
    }

    private Map<ServiceName, Map<String, Long>> totals() throws Exception {
        Map<ServiceName, Map<String, Long>> out = new EnumMap<>(ServiceName.class);
        for (ServiceName s : ServiceName.values()) {
            out.put(s, participant(s).inspect().get(10, TimeUnit.SECONDS).getTotalsMap());
        }
        return out;
    }

    /** An order whose every service votes YES, but whose 700 ms deadline passes while shipping's vote is late. */
    private SubmitRequest abortedWhileEveryoneVotedYes(String tid) throws Exception {
        participant(ServiceName.SHIPPING).setFaults(Faults.newBuilder().setLatencyMinMs(1_500).setLatencyMaxMs(1_500)
                .build()).get();
        try {
            SubmitRequest order = order(tid, 700);
            SubmitResult first = submit(order);
            assertThat(first.getStatus()).as(first.toString()).isEqualTo(SubmitResult.Status.ABORTED);
            assertThat(first.getReason()).contains("deadline passed");
            return order;
        } finally {
            participant(ServiceName.SHIPPING).setFaults(Faults.getDefaultInstance()).get();
            // Its End waits for shipping's slow acknowledgement; only an ended outcome can leave retention.
            await(tid + " ended").atMost(WAIT).ignoreExceptions().until(() -> status(tid).getStatus() == TxnStatus.ENDED);
        }
    }

    private TxnState status(String tid) throws Exception {
        try (NodeClient c = connections.connect(config.nodes().get(0)).get(5, TimeUnit.SECONDS)) {
            return c.txnStatus(tid).get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Commits {@code transactions} fillers in {@code tid}'s log group (retention is per group), which
     * push its outcome out of retention, and then its id out of the memory of forgotten ids.
     */
    private void pushOut(String tid, int transactions) throws Exception {
        int groups = config.log().groups();
        int group = LogGroupOfTid.indexOf(tid, groups);
        for (int i = 0; i < transactions; i++) {
            String filler = "filler-" + n;
            while (LogGroupOfTid.indexOf(filler, groups) != group) {
                filler = "filler-" + ++n;
            }
            assertThat(submit(order(filler, 0)).getStatus()).as(filler).isEqualTo(SubmitResult.Status.COMMITTED);
        }
    }

    private void noInvariantViolation() {
        assertThat(ClusterStatusReader.read(config, connections).violations()).as("./dtm violations").isEmpty();
    }

    @Test
    @Order(1)
    void anAbortedOrderResubmittedAfterItsOutcomeLeftRetentionIsRefusedNeverCommitted() throws Exception {
        SubmitRequest order = abortedWhileEveryoneVotedYes("forgotten-1");
        pushOut("forgotten-1", 2); // its outcome leaves retention; its id stays remembered
        Map<ServiceName, Map<String, Long>> before = totals();

        SubmitResult again = submit(order);

        assertThat(again.getStatus()).as(again.toString()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(again.getReason()).contains("the outcome of tid forgotten-1 is no longer retained");
        assertThat(totals()).as("nothing committed anywhere").isEqualTo(before);
        noInvariantViolation();
    }

    @Test
    @Order(2)
    void pastTheLogsMemoryOfItsIdTheServicesRefuseToRunItAgain() throws Exception {
        SubmitRequest order = abortedWhileEveryoneVotedYes("forgotten-2");
        pushOut("forgotten-2", 2 + TINY.maxForgotten() + 1); // its id leaves the log's memory too
        Map<ServiceName, Map<String, Long>> before = totals();

        SubmitResult again = submit(order);
        SubmitResult onceMore = submit(order); // the re-run's own ABORT must not become the tid's answer

        assertThat(again.getStatus()).as(again.toString()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(again.getReason()).contains("no longer retained").contains("already ran here");
        assertThat(onceMore.getStatus()).as(onceMore.toString()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(onceMore.getReason()).contains("no longer retained");
        assertThat(totals()).as("nothing committed anywhere").isEqualTo(before);
        noInvariantViolation();
    }

    @Test
    @Order(3)
    void oneThousandOnePhaseSubmitsWithAOneMillisecondDeadlineAreAllAnsweredAndLeaveNothingInFlight()
            throws Exception {
        List<CompletableFuture<SubmitResult>> answers = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            SubmitRequest one = SubmitRequest.newBuilder().setTid("tight-" + i).setTimeoutMs(1)
                    .setPayment(order("tight-" + i, 1).getPayment()).build();
            answers.add(client.submit(one));
        }
        int committed = 0;
        int aborted = 0;
        for (CompletableFuture<SubmitResult> a : answers) {
            SubmitResult r = a.get(90, TimeUnit.SECONDS);
            assertThat(r.getStatus()).as(r.toString()).isIn(SubmitResult.Status.COMMITTED, SubmitResult.Status.ABORTED);
            if (r.getStatus() == SubmitResult.Status.COMMITTED) {
                committed++;
            } else {
                aborted++;
            }
        }
        System.out.printf("1 ms deadlines, one phase: %d committed, %d aborted, none unanswered%n", committed, aborted);
        await("nothing left in flight in the log").atMost(WAIT).ignoreExceptions().until(() -> {
            NodeStatus leader = ClusterStatusReader.read(config, connections).leader().orElseThrow();
            return leader.getInFlight() == 0;
        });
        await("nothing left in the leader's table (its /status)").atMost(WAIT).ignoreExceptions().until(() -> {
            NodeStatus leader = ClusterStatusReader.read(config, connections).leader().orElseThrow();
            var node = config.nodes().stream().filter(x -> x.id().equals(leader.getNodeId())).findFirst().orElseThrow();
            // HTTPS with the cluster's admin certificate: the only one the admin port serves.
            String status = java.net.http.HttpClient.newBuilder()
                    .sslContext(TlsContexts.jdkClient(config, ClusterPki.ADMIN).orElseThrow()).build()
                    .send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://" + node.adminAddress()
                            + "/status")).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            return status.contains("\"inFlight\":0,") && status.contains("\"coordinating\":true");
        });
        noInvariantViolation();
    }
}
