package io.dtm.cli;

import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.MembershipChange;
import io.dtm.client.DtmClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.coordinator.CoordinatorNode;
import io.dtm.log.TxnLogServer;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The cluster's nodes change while transactions keep committing, through the same code as
 * {@code dtm cluster replace-node|add-node|remove-node} ({@link MembershipChange}), on three log
 * groups in this JVM on real ports: a node that lost its disk is refused, a new node takes its
 * place as a voter of every group it held while a client keeps committing orders (every one is
 * answered with its outcome), a change that would leave a group without the agreement of its old
 * members is refused with nothing changed, and a node is added and removed again.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MembershipClusterTest {
    private static final int GROUPS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** The cluster's files; kept when a test fails, to read its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;

    private InProcessCluster cluster;
    private ClusterDir dir;
    private final StringWriter output = new StringWriter();
    private MembershipChange membership;

    @BeforeAll
    void start() {
        cluster = new InProcessCluster(tempDir, 30_000, GROUPS).startAll();
        dir = new ClusterDir(tempDir);
        MembershipChange.NodeRunner inThisJvm = new MembershipChange.NodeRunner() {
            @Override
            public void startJoining(NodeConfig node) {
                cluster.startNode(node.id(), ClusterConfig.load(dir.configFile()), TxnLogServer.Start.JOIN);
            }

            @Override
            public void stop(String id) {
                cluster.stopNode(id);
            }
        };
        membership = new MembershipChange(dir, inThisJvm, new PrintWriter(output, true));
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private ClusterConfig current() {
        return ClusterConfig.load(dir.configFile());
    }

    private ClusterView view() {
        ClusterConfig config = current();
        try (DtmConnections connections = DtmConnections.of(config, "admin", Duration.ofSeconds(10), "test-view")) {
            return ClusterStatusReader.read(config, connections);
        }
    }

    private List<String> membersOf(int group) {
        return view().leaderOf(group).map(l -> l.status().getMembersList().stream().sorted().toList()).orElse(List.of());
    }

    /** Orders submitted without pause, eight in flight, each with its own tid, by a client made before any change. */
    private static final class Load implements AutoCloseable {
        private final DtmClient client;
        private final Map<String, String> answers = new ConcurrentHashMap<>();
        private final AtomicInteger committed = new AtomicInteger();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Load(ClusterConfig config) {
            client = new DtmClient(config, Duration.ofSeconds(10), Duration.ofSeconds(60));
            thread = new Thread(this::run, "membership-load");
            thread.start();
        }

        private void run() {
            Semaphore inFlight = new Semaphore(8);
            for (int i = 0; running.get(); i++) {
                try {
                    inFlight.acquire();
                } catch (InterruptedException e) {
                    return;
                }
                String tid = "member-" + i;
                client.submit(TestOrders.order(tid, String.format("sku-%04d", i % 1000), 1, "4111111111111111"))
                        .whenComplete((result, error) -> {
                            inFlight.release();
                            String answer = error != null ? "failed: " + error : result.getStatus() == SubmitResult.Status.COMMITTED
                                    ? "COMMITTED" : result.getStatus() + ": " + result.getReason();
                            answers.put(tid, answer);
                            if (answer.equals("COMMITTED")) {
                                committed.incrementAndGet();
                            }
                        });
            }
            try {
                inFlight.acquire(8); // every order answered
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void awaitMoreCommitted(int more) {
            int target = committed.get() + more;
            await(more + " more orders committed").atMost(WAIT).pollInterval(Duration.ofMillis(50))
                    .until(() -> committed.get() >= target);
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(WAIT.toMillis());
            client.close();
        }
    }

    private static void wipe(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    @Order(1)
    void aNodeThatLostItsDiskIsRefusedAndANewNodeTakesItsGroupsWhileOrdersCommit() throws Exception {
        Load load = new Load(cluster.config);
        try {
            load.awaitMoreCommitted(20);
            cluster.stopNode("n3");
            wipe(cluster.config.nodeDataDir("n3"));
            assertThatThrownBy(() -> CoordinatorNode.start(current(), "n3", TxnLogServer.Start.RESTART))
                    .hasMessageContaining("[n3] this node has no log in")
                    .hasMessageContaining("replace-node n3");
            load.awaitMoreCommitted(20);

            membership.replace("n3", "n4", Optional.empty());
            assertThat(output.toString()).contains("n4 replaced n3");
            assertThat(current().nodes()).extracting(NodeConfig::id).containsExactly("n1", "n2", "n4");
            for (int g = 0; g < GROUPS; g++) {
                assertThat(membersOf(g)).as("log group %d", g).containsExactly("n1", "n2", "n4");
            }
            // n4 is preferred where n3 was: it leads that group once it has caught up, and coordinates it.
            int n4sGroup = current().groupsOf("n4").stream().filter(g -> current().groupMembers(g).get(0).equals("n4"))
                    .findFirst().orElseThrow();
            await("n4 coordinating log group " + n4sGroup).atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.coordinator("n4").isCoordinating(n4sGroup));
            load.awaitMoreCommitted(20);

            // A voter: with n1 down, n2 and n4 are every group's majority, and orders still commit.
            cluster.stopNode("n1");
            load.awaitMoreCommitted(20);
        } finally {
            load.close();
            if (!cluster.running("n1")) {
                cluster.startNode("n1", current(), TxnLogServer.Start.RESTART);
            }
        }
        // Every order is answered with its outcome: committed, or aborted undecided when its group's
        // leader was stopped (n3, n1) or handed the group back to n4 (a new leader aborts what it
        // cannot know was decided). None is left without an answer or answered with an error.
        assertThat(load.answers.values()).as("every order submitted while the nodes changed")
                .allMatch(a -> a.equals("COMMITTED") || a.equals("ABORTED: coordinator failover before decision"));
        assertThat(load.committed.get()).isGreaterThanOrEqualTo(80);
    }

    @Test
    @Order(2)
    void aChangeThatLosesTheAgreementOfAGroupsOldMembersIsRefusedWithNothingChanged() throws Exception {
        String before = Files.readString(dir.configFile());
        cluster.stopNode("n1");
        try {
            // Replacing n2 stops it: of the old members only n4 would be up.
            assertThatThrownBy(() -> membership.replace("n2", "n5", Optional.empty()))
                    .isInstanceOf(UserException.class)
                    .hasMessageContaining("refused, nothing changed")
                    .hasMessageContaining("its old members must agree on the change too");
            assertThat(Files.readString(dir.configFile())).isEqualTo(before);
            assertThat(cluster.running("n2")).isTrue();
        } finally {
            cluster.startNode("n1", current(), TxnLogServer.Start.RESTART);
        }
    }

    @Test
    @Order(3)
    void aNodeAddedTakesTheGroupsTheLongerListPlacesOnItAndGivesThemBackWhenRemoved() throws Exception {
        for (int g = 0; g < GROUPS; g++) {
            int group = g;
            await("log group " + g + " led").atMost(WAIT).until(() -> view().leaderOf(group).isPresent());
        }
        membership.add("n5", Optional.empty());
        ClusterConfig added = current();
        assertThat(added.nodes()).extracting(NodeConfig::id).containsExactly("n1", "n2", "n4", "n5");
        List<Integer> n5s = added.groupsOf("n5");
        assertThat(n5s).isNotEmpty();
        for (int g = 0; g < GROUPS; g++) {
            assertThat(membersOf(g)).as("log group %d", g)
                    .containsExactlyInAnyOrderElementsOf(added.groupMembers(g));
        }
        await("the nodes that left a group dropped their copy").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    ClusterView view = view();
                    return view.nodes().stream().filter(ClusterView.NodeView::reachable).allMatch(n ->
                            n.status().getGroupsList().stream().allMatch(s -> added.groupMembers(s.getGroup()).contains(n.id())));
                });

        membership.remove("n5");
        ClusterConfig removed = current();
        assertThat(removed.nodes()).extracting(NodeConfig::id).containsExactly("n1", "n2", "n4");
        for (int g = 0; g < GROUPS; g++) {
            assertThat(membersOf(g)).as("log group %d", g).containsExactlyInAnyOrder("n1", "n2", "n4");
        }
        List<String> tids = new ArrayList<>();
        try (DtmClient client = new DtmClient(removed, Duration.ofSeconds(10), Duration.ofSeconds(60))) {
            for (int i = 0; i < 12; i++) {
                tids.add("after-remove-" + i);
            }
            for (String tid : tids) {
                assertThat(client.submit(TestOrders.order(tid, "sku-0900", 1, "4111111111111111")).join().getStatus())
                        .as(tid).isEqualTo(SubmitResult.Status.COMMITTED);
            }
        }
    }
}
