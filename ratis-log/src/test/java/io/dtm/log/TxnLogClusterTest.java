package io.dtm.log;

import io.dtm.config.GroupCommitConfig;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.rpc.NodeStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.dtm.log.ClusterRecords.FOUR;
import static io.dtm.log.ClusterRecords.assertOutcomes;
import static io.dtm.log.ClusterRecords.beginAndDecide;
import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Three real Ratis servers of the log in one JVM: failover, restart from disk, snapshot catch-up, load. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TxnLogClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private LocalLogCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void decisionsSurviveKillingTheLeader() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String oldLeader = cluster.awaitLeader();
        TxnLogClient client = cluster.newClient();
        beginAndDecide(cluster, "t", 200);

        cluster.stop(oldLeader);
        String newLeader = cluster.awaitLeader();

        assertThat(newLeader).isNotEqualTo(oldLeader);
        for (String node : cluster.nodeIds()) {
            if (!node.equals(oldLeader)) {
                assertOutcomes(client, node, "t", 200);
            }
        }
        // The write-once rule holds across the failover: a contrary proposal learns the old outcome.
        RecordResult contrary = cluster.appendAsLeader(decide("t1", Outcome.ABORT, "late", "participant:order")).join();
        assertThat(contrary.getDisposition()).isEqualTo(Disposition.DUPLICATE);
        assertThat(contrary.getOutcome()).isEqualTo(Outcome.COMMIT);
        // And the new leader keeps logging.
        assertThat(cluster.appendAsLeader(end("t1")).join().getStatus()).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void aReadThroughAFollowerSeesEveryAppendThatCompletedBeforeIt() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String follower = cluster.aFollower();
        TxnLogClient client = cluster.newClient();

        // Each read waits for the follower to learn the commit index (next heartbeat): keep it short.
        for (int i = 0; i < 15; i++) {
            String tid = "rw" + i;
            cluster.appendAsLeader(begin(tid, FOUR, 1)).join();
            cluster.appendAsLeader(decide(tid, Outcome.COMMIT, "", "coordinator:test")).join();
            // Linearizable: no waiting, no retry; the follower must already know.
            assertThat(client.readVia(tid, follower).join().getStatus()).isEqualTo(TxnStatus.DECIDED);
        }
    }

    @Test
    void allThreeRestartedFromDiskKeepEveryOutcome() {
        // Small snapshot threshold: part of the history is in snapshots, the rest in the log.
        cluster = new LocalLogCluster(dir, 40, 64 << 10);
        cluster.startAll();
        cluster.awaitLeader();
        TxnLogClient client = cluster.newClient();
        for (int round = 0; round < 10; round++) {
            beginAndDecide(cluster, "r" + round + "-", 30);
        }
        String ended = "r0-1";
        cluster.appendAsLeader(end(ended)).join();

        cluster.stopAll();
        cluster.startAll();
        String leader = cluster.awaitLeader();

        NodeStatus status = cluster.server(leader).status();
        assertThat(status.getSnapshotIndex()).as("a snapshot was taken and loaded").isPositive();
        TxnLogClient after = cluster.newClient();
        for (int round = 0; round < 10; round++) {
            assertOutcomes(after, null, "r" + round + "-", 30);
        }
        assertThat(after.read(ended).join().getStatus()).isEqualTo(TxnStatus.ENDED);
        assertThat(after.read("r9-5").join().getStatus()).isEqualTo(TxnStatus.DECIDED);
        assertThat(after.read("r9-5").join().getParticipantsList()).containsExactlyElementsOf(FOUR);
    }

    @Test
    void aFollowerThatMissedPurgedEntriesCatchesUpBySnapshot() {
        cluster = new LocalLogCluster(dir, 20, 16 << 10);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        String lagging = cluster.aFollower();
        TxnLogClient client = cluster.newClient();
        beginAndDecide(cluster, "before", 10);
        assertThat(Thread.getAllStackTraces().keySet()).map(Thread::getName)
                .as("the leader replicates with the appender that survives a follower behind the purge")
                .anyMatch(name -> name.startsWith(leader + "@") && name.contains("DtmLogAppender"));
        await().atMost(WAIT).until(() -> cluster.server(lagging).status().getAppliedIndex()
                >= cluster.server(leader).status().getCommitIndex());
        long laggingApplied = cluster.server(lagging).status().getAppliedIndex();
        cluster.stop(lagging);

        // One record per entry, so the leader's log grows fast and is snapshotted and purged.
        for (int i = 0; i < 400; i++) {
            cluster.appendAsLeader(begin("while-down" + i, FOUR, 1)).join();
        }
        await().atMost(WAIT).until(() -> cluster.server(leader).status().getLogStartIndex() > laggingApplied + 1);

        cluster.start(lagging);
        await().atMost(WAIT).until(() -> cluster.server(lagging).status().getAppliedIndex()
                >= cluster.server(leader).status().getCommitIndex());

        NodeStatus caughtUp = cluster.server(lagging).status();
        assertThat(caughtUp.getSnapshotIndex()).as("installed the leader's snapshot").isGreaterThan(laggingApplied);
        assertOutcomes(client, lagging, "before", 10);
        for (int i = 0; i < 400; i += 37) {
            assertThat(client.readVia("while-down" + i, lagging).join().getStatus()).isEqualTo(TxnStatus.IN_FLIGHT);
        }
    }

    @Test
    void tenThousandConcurrentRecordsAreAllReadableWithTheRightOutcome() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        cluster.awaitLeader();
        TxnLogClient client = cluster.newClient();

        beginAndDecide(cluster, "load", 5_000);

        assertOutcomes(client, null, "load", 5_000);
    }

    @Test
    void probesAreGroupCommittedAndApplyToNothing() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        TxnLogClient client = cluster.newClient();
        long inFlightBefore = cluster.server(leader).stateMachine(0).localStats().getInFlight();

        List<CompletableFuture<RecordResult>> probes = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            probes.add(client.appendProbe(begin("probe" + i, FOUR, Long.MAX_VALUE)));
        }
        for (CompletableFuture<RecordResult> probe : probes) {
            RecordResult r = probe.join();
            assertThat(r.getDisposition()).isEqualTo(Disposition.REFUSED);
            assertThat(r.getDetail()).contains("a probe");
        }
        assertThat(client.appendStats().recordsPerEntry()).as("group commit gathered concurrent records").isGreaterThan(2.0);
        assertThat(client.read("probe7").join().getStatus()).as("a probe's Begin began nothing").isEqualTo(TxnStatus.UNKNOWN);
        assertThat(cluster.server(leader).stateMachine(0).localStats().getInFlight()).isEqualTo(inFlightBefore);
    }

    @Test
    void recordsProposedInAnotherTermThanTheLeadersAreRefused() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        long term = cluster.server(leader).status().getTerm();

        try (LogAppender current = cluster.server(leader).appender("current", 0, term);
                LogAppender deposed = cluster.server(leader).appender("other-term", 0, term + 1)) {
            RecordResult stale = deposed.append(begin("fenced", FOUR, 1)).join();
            assertThat(stale.getDisposition()).isEqualTo(Disposition.FENCED);
            assertThat(stale.getDetail()).contains("stale coordinator");
            assertThat(current.append(begin("fenced", FOUR, 1)).join().getDisposition()).isEqualTo(Disposition.APPLIED);
        }
    }

    @Test
    void theLeadersOwnAppenderLetsTheRetryCacheForgetAnsweredEntries() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        TxnLogServer server = cluster.server(leader);
        long term = server.status().getTerm();

        try (LogAppender appender = server.appender("local", 0, term)) {
            for (int i = 0; i < 100; i++) {
                // One at a time: each entry tells the server that the one before was answered.
                assertThat(appender.append(begin("cached" + i, FOUR, 1)).join().getDisposition())
                        .isEqualTo(Disposition.APPLIED);
            }
        }
        // Ratis keeps each reply for its retry cache's expiry time (a minute) unless told it was
        // received: at thousands of entries a second, that would be hundreds of megabytes. What may
        // stay: the appender's last reply or two, and each node's clock reporter's last (a client of
        // its own that reports every ClockReporter.INTERVAL_MS).
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.division(0).getRetryCache().getStatistics().size())
                .as("retry cache entries after 100 answered appends").isLessThanOrEqualTo(2 + 3));
    }

    @Test
    void entriesToIdleFollowersDoNotWaitOutTheBusyReplicationInterval() {
        // A busy interval of a second, the longest allowed. Ratis's fixed wait would hold every
        // append a second after the last send (heartbeats included): 20 sequential appends, 20 s.
        GroupCommitConfig defaults = GroupCommitConfig.defaults();
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20, new GroupCommitConfig(defaults.maxRecords(),
                defaults.maxOutstandingBatches(), 1_000));
        cluster.startAll();
        String leader = cluster.awaitLeader();
        TxnLogServer server = cluster.server(leader);

        long started = System.nanoTime();
        try (LogAppender appender = server.appender("sequential", 0, server.status().getTerm())) {
            for (int i = 0; i < 20; i++) {
                // Each waits for the one before: when it is appended, its majority follower is idle.
                assertThat(appender.append(begin("idle" + i, FOUR, 1)).join().getDisposition())
                        .isEqualTo(Disposition.APPLIED);
            }
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started))
                .as("20 sequential appends with a 1 s busy interval").isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void recordsOfOneBatchEachGetTheirOwnResult() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        cluster.startAll();
        cluster.awaitLeader();
        TxnLogClient client = cluster.newClient();
        cluster.appendAsLeader(begin("x", FOUR, 1)).join();

        List<TxnRecord> records = List.of(
                decide("x", Outcome.COMMIT, "", "coordinator:test"),
                decide("x", Outcome.ABORT, "late", "participant:payment"),
                decide("never-begun", Outcome.COMMIT, "", "coordinator:test"),
                end("x"));
        List<CompletableFuture<RecordResult>> results = records.stream().map(cluster::appendAsLeader).toList();

        assertThat(results.get(0).join().getDisposition()).isEqualTo(Disposition.APPLIED);
        assertThat(results.get(1).join().getOutcome()).isEqualTo(Outcome.COMMIT);
        assertThat(results.get(2).join().getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(results.get(3).join().getStatus()).isEqualTo(TxnStatus.ENDED);
    }
}
