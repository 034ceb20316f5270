package io.dtm.log;

import io.dtm.config.GroupCommitConfig;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.rpc.GroupStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static io.dtm.log.ClusterRecords.FOUR;
import static io.dtm.log.ClusterRecords.assertOutcomes;
import static io.dtm.log.ClusterRecords.expectedOutcome;
import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The log's Raft mechanics with the bundled three groups on three real Ratis servers in one JVM
 * (one server per node hosting a division of every group): each group elects its own leader when
 * the node leading most of them dies, keeps its first decisions, restarts from its own snapshots and
 * log, and catches a node up by its own snapshot. Records go to their tid's group, as the
 * coordinators' do.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MultiGroupLogClusterTest {
    private static final int GROUPS = 3;
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

    private LocalLogCluster newCluster(long snapshotEveryEntries, long segmentSizeBytes) {
        return new LocalLogCluster(dir, snapshotEveryEntries, segmentSizeBytes, GroupCommitConfig.defaults(), GROUPS);
    }

    /** Begins and decides {@code prefix0..prefix(n-1)}, tids that fall in every group. */
    private void beginAndDecide(String prefix, int n) {
        assertThat(IntStream.range(0, n).map(i -> cluster.groupOf(prefix + i)).distinct().count())
                .as("the tids %s* fall in every group", prefix).isEqualTo(GROUPS);
        ClusterRecords.beginAndDecide(cluster, prefix, n);
    }

    /** How many of the groups in {@code leaders} {@code node} leads. */
    private static long groupsLed(Map<Integer, String> leaders, String node) {
        return leaders.values().stream().filter(node::equals).count();
    }

    /** {@code node}'s status of {@code group} once it has applied everything its group's leader committed. */
    private GroupStatus awaitCaughtUp(String node, int group) {
        return await(node + " caught up in group " + group).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> cluster.server(node).status(group),
                        s -> s.getAppliedIndex() >= cluster.server(cluster.awaitLeader(group)).status(group).getCommitIndex());
    }

    /** Every group's leader, once each has one. */
    private Map<Integer, String> leaders() {
        Map<Integer, String> out = new HashMap<>();
        for (int g = 0; g < GROUPS; g++) {
            out.put(g, cluster.awaitLeader(g));
        }
        return out;
    }

    @Test
    void everyGroupKeepsItsDecisionsThroughTheLossOfTheNodeLeadingMostAndARestartOfAll() {
        // Small snapshots: each group's history ends up part in its snapshots, part in its log.
        cluster = newCluster(10, 32 << 10);
        cluster.startAll();
        Map<Integer, String> before = leaders();
        TxnLogClient client = cluster.newClient();
        beginAndDecide("a", 90);

        String killed = cluster.nodeIds().stream()
                .max(Comparator.comparingLong(id -> groupsLed(before, id)))
                .orElseThrow();
        cluster.stop(killed);
        Map<Integer, String> after = leaders();
        assertThat(after.values()).as("every group is led by a survivor").doesNotContain(killed);

        beginAndDecide("b", 90);
        for (String node : cluster.nodeIds()) {
            if (!node.equals(killed)) {
                assertOutcomes(client, node, "a", 90);
                assertOutcomes(client, node, "b", 90);
            }
        }
        // The first decision logged wins in every group: a contrary one gets the first outcome back.
        for (int i = 0; i < 9; i++) {
            RecordResult contrary = cluster.appendAsLeader(decide("a" + i,
                    expectedOutcome(i) == Outcome.COMMIT ? Outcome.ABORT : Outcome.COMMIT, "late", "participant:order")).join();
            assertThat(contrary.getOutcome()).as("a%d in group %d", i, cluster.groupOf("a" + i)).isEqualTo(expectedOutcome(i));
        }
        cluster.appendAsLeader(end("a1")).join();
        cluster.appendAsLeader(end("b2")).join();

        cluster.stopAll();
        cluster.startAll();
        leaders();
        for (String node : cluster.nodeIds()) {
            for (int g = 0; g < GROUPS; g++) {
                GroupStatus status = awaitCaughtUp(node, g);
                assertThat(status.getOutOfOrderApplies()).as("%s group %d", node, g).isZero();
                if (!node.equals(killed)) {
                    assertThat(status.getSnapshotIndex()).as("%s group %d took a snapshot", node, g).isPositive();
                }
            }
        }
        TxnLogClient restarted = cluster.newClient();
        for (String node : cluster.nodeIds()) {
            assertOutcomes(restarted, node, "a", 90);
            assertOutcomes(restarted, node, "b", 90);
        }
        assertThat(restarted.read("a1").join().getStatus()).isEqualTo(TxnStatus.ENDED);
        assertThat(restarted.read("b2").join().getStatus()).isEqualTo(TxnStatus.ENDED);
        assertThat(restarted.read("b5").join().getStatus()).isEqualTo(TxnStatus.DECIDED);
    }

    @Test
    void aNodeBehindEveryGroupsPurgeCatchesUpByEachGroupsSnapshot() {
        cluster = newCluster(20, 16 << 10);
        cluster.startAll();
        Map<Integer, String> leaders = leaders();
        TxnLogClient client = cluster.newClient();
        beginAndDecide("before", 30);

        // The node leading fewest groups lags: in the others it is a follower the leaders catch up.
        String lagging = cluster.nodeIds().stream()
                .min(Comparator.comparingLong(id -> groupsLed(leaders, id)))
                .orElseThrow();
        long[] laggingApplied = new long[GROUPS];
        for (int g = 0; g < GROUPS; g++) {
            laggingApplied[g] = awaitCaughtUp(lagging, g).getAppliedIndex();
        }
        cluster.stop(lagging);

        // One record per entry, spread over the groups, until every group purged what the lagging node has.
        int written = 0;
        while (!everyGroupPurgedPast(lagging, laggingApplied)) {
            for (int i = 0; i < 30; i++, written++) {
                cluster.appendAsLeader(begin("while-down" + written, FOUR, 1)).join();
            }
            assertThat(written).as("records written before every group purged").isLessThan(6_000);
        }

        cluster.start(lagging);
        for (int g = 0; g < GROUPS; g++) {
            assertThat(awaitCaughtUp(lagging, g).getSnapshotIndex())
                    .as("group %d: installed its leader's snapshot", g).isGreaterThan(laggingApplied[g]);
        }
        assertOutcomes(client, lagging, "before", 30);
        for (int i = 0; i < written; i += 17) {
            assertThat(client.readVia("while-down" + i, lagging).join().getStatus()).isEqualTo(TxnStatus.IN_FLIGHT);
        }
    }

    private boolean everyGroupPurgedPast(String lagging, long[] laggingApplied) {
        for (int g = 0; g < GROUPS; g++) {
            String leader = cluster.awaitLeader(g);
            if (leader.equals(lagging) || cluster.server(leader).status(g).getLogStartIndex() <= laggingApplied[g] + 1) {
                return false;
            }
        }
        return true;
    }
}
