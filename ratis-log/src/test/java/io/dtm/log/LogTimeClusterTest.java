package io.dtm.log;

import io.dtm.log.raft.TxnStateMachine;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Three real Ratis servers: every node's periodic clock report reaches every replica's log time. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class LogTimeClusterTest {
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long FIVE_HOURS = 5 * 3_600_000L;

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
    void everyNodeReportsItsClockToEveryReplicaWithoutAnyAppend() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        long startedMs = System.currentTimeMillis();
        cluster.startAll();
        String leader = cluster.awaitLeader();

        // Followers seal no batches of records: their readings can only come from their reports.
        await("every member's reading on every replica").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    for (String node : cluster.nodeIds()) {
                        assertThat(cluster.server(node).stateMachine(0).memberClocks()).as("readings on %s", node)
                                .containsKeys(cluster.nodeIds().toArray(new String[0]));
                    }
                });

        for (String node : cluster.nodeIds()) {
            TxnStateMachine replica = cluster.server(node).stateMachine(0);
            assertThat(replica.memberClocks().values()).as("readings on %s (leader %s)", node, leader)
                    .allSatisfy(ms -> assertThat(ms).isBetween(startedMs, System.currentTimeMillis()));
            assertThat(replica.logTimeMs()).as("log time on %s", node)
                    .isBetween(startedMs, System.currentTimeMillis());
        }
    }

    @Test
    void aNodeWhoseClockRunsHoursAheadDoesNotMoveLogTimeNorEvictOutcomes() {
        cluster = new LocalLogCluster(dir, 10_000, 8 << 20);
        String fast = cluster.nodeIds().get(2);
        cluster.setClock(fast, () -> System.currentTimeMillis() + FIVE_HOURS);
        long startedMs = System.currentTimeMillis();
        cluster.startAll();
        cluster.awaitLeader();
        cluster.appendAsLeader(begin("young", FOUR, Long.MAX_VALUE)).join();
        cluster.appendAsLeader(decide("young", Outcome.COMMIT, "", "coordinator:test")).join();
        assertThat(cluster.appendAsLeader(end("young")).join().getStatus()).isEqualTo(TxnStatus.ENDED);

        // The fast node seals a batch through its own log client (a probe: its clock reading counts
        // like any batch's).
        TxnLogClient fastNode = cluster.newNodeClient(fast);
        assertThat(fastNode.appendProbe(begin("other", FOUR, Long.MAX_VALUE)).join().getDetail()).contains("a probe");
        await("the fast node's reading and the others' on every replica").atMost(WAIT)
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> {
                    for (String node : cluster.nodeIds()) {
                        Map<String, Long> readings = cluster.server(node).stateMachine(0).memberClocks();
                        assertThat(readings).as("readings on %s", node)
                                .containsKeys(cluster.nodeIds().toArray(new String[0]));
                        assertThat(readings.get(fast)).as("%s's reading on %s", fast, node)
                                .isGreaterThan(startedMs + FIVE_HOURS);
                    }
                });

        for (String node : cluster.nodeIds()) {
            assertThat(cluster.server(node).stateMachine(0).logTimeMs()).as("log time on %s", node)
                    .isBetween(startedMs, System.currentTimeMillis());
            // Retention keeps an hour (LocalLogCluster): five hours of one clock would have evicted it.
            assertThat(fastNode.readVia("young", node).join().getStatus()).as("young via %s", node)
                    .isEqualTo(TxnStatus.ENDED);
        }
    }
}
