package io.dtm.coordinator;

import io.dtm.log.TxnLogServer;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.LimitsConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.TimeoutsConfig;
import io.dtm.log.LogAppender;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.ServerLimits;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.TlsContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Three coordinator nodes in this JVM, asked through their client ports as the CLI asks them, and their admin ports. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class CoordinatorNodeTest {
    private Path dir;
    private ClusterConfig config;
    private final List<CoordinatorNode> nodes = new ArrayList<>();
    private DtmConnections connections;

    @BeforeAll
    void startCluster() throws IOException {
        dir = Files.createTempDirectory("coordinator-node-test");
        ClusterConfig base = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir);
        config = base.withTimeouts(new TimeoutsConfig(1_000, 2_000, 10_000, 60_000)).withTlsDir(dir.resolve("tls"));
        ClusterPki.prepare(config, dir.resolve("ca"));
        for (NodeConfig node : config.nodes()) {
            nodes.add(CoordinatorNode.start(config, node.id(), TxnLogServer.Start.NEW_CLUSTER));
        }
        connections = DtmConnections.of(config, "admin", Duration.ofSeconds(10), "test");
        await().atMost(Duration.ofSeconds(60)).until(() -> ClusterStatusReader.read(config, connections)
                .leader().filter(NodeStatus::getLeaderReady).isPresent());
    }

    @AfterAll
    void stopCluster() throws IOException {
        if (connections != null) {
            connections.close();
        }
        nodes.forEach(CoordinatorNode::close);
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    void theAdminPortIsHttpsForTheAdminCertificateOnly() throws Exception {
        HttpClient admin = HttpClient.newBuilder().sslContext(TlsContexts.jdkClient(config, ClusterPki.ADMIN).orElseThrow())
                .build();
        HttpClient client = HttpClient.newBuilder().sslContext(TlsContexts.jdkClient(config, ClusterPki.CLIENT)
                .orElseThrow()).build();
        for (NodeConfig node : config.nodes()) {
            HttpRequest health = HttpRequest.newBuilder(URI.create("https://" + node.adminAddress() + "/health"))
                    .timeout(Duration.ofSeconds(10)).build();

            assertThat(admin.send(health, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            HttpResponse<String> refused = client.send(health, HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).isEqualTo(403);
            assertThat(refused.body()).isEqualTo("{\"error\":\"PERMISSION_DENIED: role client may not read the admin port\"}");
        }
    }

    @Test
    void theAdminPortHasTheClientPortsIdleTimeoutAndAtMost64Connections() {
        assertThat(CoordinatorNode.adminLimits(LimitsConfig.defaults())).isEqualTo(new ServerLimits(
                CoordinatorNode.ADMIN_MAX_CONNECTIONS, 1, LimitsConfig.defaults().idleTimeoutMs()));
        assertThat(CoordinatorNode.adminLimits(new LimitsConfig(10, 20_000, 5_000, 1_024)))
                .isEqualTo(new ServerLimits(10, 1, 5_000));
    }

    @Test
    void everyNodeReportsItselfAndAllAgreeOnTheLeader() {
        ClusterView view = ClusterStatusReader.read(config, connections);

        assertThat(view.nodes()).allMatch(ClusterView.NodeView::reachable);
        NodeStatus leader = view.leader().orElseThrow();
        assertThat(view.nodes()).extracting(n -> n.status().getNodeId()).containsExactly("n1", "n2", "n3");
        assertThat(view.nodes().stream().filter(n -> n.status().getRole().equals("LEADER"))).hasSize(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> ClusterStatusReader.read(config, connections).nodes().stream()
                .allMatch(n -> n.status().getLeaderId().equals(leader.getNodeId())));
    }

    @Test
    void anyNodeAnswersATransactionsStateFromTheLog() throws Exception {
        CoordinatorNode leader = await().atMost(Duration.ofSeconds(30))
                .until(() -> nodes.stream().filter(CoordinatorNode::isCoordinating).findFirst(), Optional::isPresent)
                .orElseThrow();
        try (LogAppender log = leader.logServer().appender("test", 0, leader.coordinatingTerm(0))) {
            log.append(LogRecords.begin("t-42", List.of("payment", "order"), 1)).join();
            log.append(LogRecords.decide("t-42", Outcome.ABORT, "payment: CARD_DECLINED", "coordinator:test")).join();
        }
        for (NodeConfig node : config.nodes()) {
            try (NodeClient client = connections.connect(node).get()) {
                TxnState state = client.txnStatus("t-42").get();
                assertThat(state.getStatus()).as(node.id()).isEqualTo(TxnStatus.DECIDED);
                assertThat(state.getOutcome()).isEqualTo(Outcome.ABORT);
                assertThat(state.getReason()).isEqualTo("payment: CARD_DECLINED");
                assertThat(client.txnStatus("never-seen").get().getStatus()).isEqualTo(TxnStatus.UNKNOWN);
            }
        }
    }

    @Test
    void aFencedAnswerToAnEarlierTermsEngineDoesNotStopTheEngineOfTheCurrentTerm() throws Exception {
        CoordinatorNode leader = nodes.stream().filter(n -> n.coordinatingTerm(0) > 0).findFirst().orElseThrow();
        long term = leader.coordinatingTerm(0);

        // The callback an engine of an earlier term leaves behind fires late, as a FENCED append
        // result does when it comes after the node led again.
        java.util.concurrent.CompletableFuture<Long> after = new java.util.concurrent.CompletableFuture<>();
        leader.onLeadershipThread(() -> leader.stepDownFrom(0, term - 1, "stale coordinator: proposed in term "
                + (term - 1)));
        leader.onLeadershipThread(() -> after.complete(leader.coordinatingTerm(0)));

        assertThat(after.get(10, TimeUnit.SECONDS)).as("still coordinating in its own term").isEqualTo(term);
    }

    @Test
    void anInvalidTidIsRefusedWithAClearErrorAndTheConnectionStaysUsable() throws Exception {
        try (NodeClient client = connections.connect(config.nodes().get(0)).get()) {
            assertThatThrownBy(() -> client.txnStatus("no spaces allowed").join())
                    .isInstanceOf(CompletionException.class)
                    .cause().isInstanceOf(RemoteException.class)
                    .hasMessageContaining("INVALID_REQUEST").hasMessageContaining("outside [A-Za-z0-9._:-]")
                    .satisfies(e -> assertThat(((RemoteException) e).code()).isEqualTo(ErrorCode.INVALID_REQUEST));
            assertThat(client.status().get().getNodeId()).isEqualTo("n1");
        }
    }
}
