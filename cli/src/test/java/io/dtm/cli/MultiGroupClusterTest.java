package io.dtm.cli;

import io.dtm.client.DtmClient;
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The log split into three Raft groups over three nodes, in this JVM on real ports: every node leads
 * the group it is preferred for, tids spread over the groups and commit through their groups'
 * leaders, a stopped node's group moves to another node and comes back when the node does (aborting
 * nothing, even under load), and a
 * node refuses to start with another group count than its data was made with.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class MultiGroupClusterTest {
    private static final int GROUPS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private InProcessCluster cluster;
    private DtmClient client;

    /** The cluster's files; kept when a test fails, to read its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;

    @BeforeAll
    void start() {
        cluster = new InProcessCluster(tempDir, 30_000, GROUPS).startAll();
        client = new DtmClient(cluster.config, Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private String preferredLeaderOf(int group) {
        return cluster.config.groupMembers(group).get(0);
    }

    private void awaitPreferredLeaders() {
        for (int g = 0; g < GROUPS; g++) {
            int group = g;
            String preferred = preferredLeaderOf(group);
            await(preferred + " coordinating log group " + group).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.coordinator(preferred) != null && cluster.coordinator(preferred).isCoordinating(group));
        }
    }

    /** {@code count} fresh tids of log group {@code group}, named after {@code prefix}. */
    private static List<String> tidsOf(int group, String prefix, int count) {
        List<String> tids = new ArrayList<>();
        for (int i = 0; tids.size() < count; i++) {
            String tid = prefix + "-" + i;
            if (LogGroupOfTid.indexOf(tid, GROUPS) == group) {
                tids.add(tid);
            }
        }
        return tids;
    }

    private void commitAll(List<String> tids, int firstSku) {
        List<CompletableFuture<SubmitResult>> results = new ArrayList<>();
        for (int i = 0; i < tids.size(); i++) {
            SubmitRequest order = TestOrders.order(tids.get(i), String.format("sku-%04d", firstSku + i), 1,
                    "4111111111111111");
            results.add(client.submit(order));
        }
        for (CompletableFuture<SubmitResult> r : results) {
            SubmitResult result = r.join();
            assertThat(result.getStatus()).as(result.toString()).isEqualTo(SubmitResult.Status.COMMITTED);
        }
    }

    @Test
    void everyNodeLeadsTheGroupItIsPreferredForAndTidsOfEveryGroupCommit() throws Exception {
        awaitPreferredLeaders();
        Set<String> leaders = new TreeSet<>();
        for (int g = 0; g < GROUPS; g++) {
            leaders.add(preferredLeaderOf(g));
        }
        assertThat(leaders).as("a leader on every node").hasSize(cluster.config.nodes().size());

        List<String> tids = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            tids.addAll(tidsOf(g, "spread-g" + g, 5));
        }
        commitAll(tids, 300);

        for (var node : cluster.config.nodes()) {
            for (String tid : tids) {
                assertThat(cluster.client(node.id()).txnStatus(tid).get().getOutcome())
                        .as("%s read through %s", tid, node.id()).isEqualTo(Outcome.COMMIT);
            }
            NodeStatus status = cluster.status(node.id());
            assertThat(status.getGroupsList()).extracting(GroupStatus::getGroup).containsExactly(0, 1, 2);
            assertThat(status.getGroupsList()).filteredOn(GroupStatus::getCoordinating)
                    .extracting(GroupStatus::getGroup).as("groups %s coordinates", node.id())
                    .containsExactly(cluster.config.groupsOf(node.id()).stream()
                            .filter(g -> preferredLeaderOf(g).equals(node.id())).toArray(Integer[]::new));
        }
    }

    @Test
    void aStoppedNodesGroupMovesToAnotherNodeAndComesBackWithIt() {
        awaitPreferredLeaders();
        int group = 1;
        String preferred = preferredLeaderOf(group);
        cluster.stopNode(preferred);
        try {
            String successor = cluster.awaitLeaderOf(group);
            assertThat(successor).isNotEqualTo(preferred);
            commitAll(tidsOf(group, "moved", 5), 400);
        } finally {
            cluster.startNode(preferred);
        }
        await(preferred + " leads log group " + group + " again").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> cluster.coordinator(preferred).isCoordinating(group));
        commitAll(tidsOf(group, "back", 5), 500);
        assertThat(cluster.client(preferred).txnStatus(tidsOf(group, "moved", 1).get(0)).join().getOutcome())
                .as("what was decided while it was away").isEqualTo(Outcome.COMMIT);
    }

    /**
     * When a node comes back, the group it is preferred for goes back to it while clients keep
     * submitting. The leader drains first, so the hand-back aborts nothing: a new leader aborts
     * whatever it finds undecided, and without the drain the transactions in flight at that moment
     * were answered ABORTED ("coordinator failover before decision").
     */
    @Test
    void aHandBackUnderLoadAbortsNothing() throws Exception {
        awaitPreferredLeaders();
        int group = 2;
        String preferred = preferredLeaderOf(group);
        cluster.stopNode(preferred);
        List<String> tids = tidsOf(group, "handback", 4_000);
        AtomicInteger next = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        List<SubmitResult> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService submitters = Executors.newFixedThreadPool(4);
        try {
            assertThat(cluster.awaitLeaderOf(group)).isNotEqualTo(preferred);
            for (int s = 0; s < 4; s++) {
                submitters.execute(() -> {
                    while (!stop.get()) {
                        int i = next.getAndIncrement();
                        if (i >= tids.size()) {
                            return;
                        }
                        answers.add(client.submit(TestOrders.order(tids.get(i), String.format("sku-%04d", 600 + i % 100),
                                1, "4111111111111111")).join());
                    }
                });
            }
            await("load on log group " + group).atMost(WAIT).until(() -> answers.size() >= 20);
            cluster.startNode(preferred);
            await(preferred + " leads log group " + group + " again").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                    .until(() -> cluster.coordinator(preferred).isCoordinating(group));
            int atHandBack = answers.size();
            await("load after the hand-back").atMost(WAIT).until(() -> answers.size() >= atHandBack + 40);
        } finally {
            stop.set(true);
            submitters.shutdown();
            assertThat(submitters.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(answers).as("every order submitted across the hand-back").hasSizeGreaterThan(60)
                .allSatisfy(a -> assertThat(a.getStatus()).as(a.toString()).isEqualTo(SubmitResult.Status.COMMITTED));
    }

    @Test
    void aNodeRefusesToStartWithAnotherGroupCountThanItsData() {
        String node = cluster.config.nodes().get(2).id();
        cluster.stopNode(node);
        try {
            assertThatThrownBy(() -> cluster.startNode(node, cluster.config.withLogGroups(2, 0)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("created with 3 log group(s) of 3 node(s) each")
                    .hasMessageContaining("log.groups: 3");
        } finally {
            cluster.startNode(node);
        }
        awaitPreferredLeaders();
    }
}
