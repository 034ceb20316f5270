package io.dtm.cli;

import io.dtm.config.ServiceName;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.TlsContexts;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Two-phase commit end to end: three nodes, four services, real ports and stores, in this JVM. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class TwoPhaseCommitTest {
    private InProcessCluster cluster;
    /** Any node: each answers TXN_STATUS for every group. SUBMITs go to the leader of the tid's group. */
    private NodeClient anyNode;

    /** The cluster's files; kept when a test fails, to read its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;

    @BeforeAll
    void start() throws Exception {
        cluster = new InProcessCluster(tempDir, 30_000).startAll();
        anyNode = cluster.client(cluster.config.nodes().get(0).id());
    }

    @AfterAll
    void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    SubmitRequest order(String tid, String sku, long qty, String card) {
        return TestOrders.order(tid, sku, qty, card);
    }

    private SubmitResult submit(SubmitRequest request) {
        return submitAsync(request).join();
    }

    private CompletableFuture<SubmitResult> submitAsync(SubmitRequest request) {
        return cluster.client(cluster.awaitLeaderOfTid(request.getTid())).submit(request);
    }

    private LocalState stateAt(ServiceName service, String attemptId) throws Exception {
        return cluster.participant(service).query(attemptId).get().getState();
    }

    @Test
    void anOrderCommitsEverywhere() throws Exception {
        SubmitResult result = submit(order("ok-1", "sku-0100", 2, "4111111111111111"));

        assertThat(result.getStatus()).as(result.toString()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(result.getParticipantsList()).hasSize(4).allSatisfy(p -> assertThat(p.getVote().getYes()).isTrue());
        for (ServiceName s : ServiceName.values()) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> stateAt(s, "ok-1#1") == LocalState.COMMITTED);
        }
        TxnState logged = anyNode.txnStatus("ok-1").get();
        assertThat(logged.getOutcome()).isEqualTo(Outcome.COMMIT);
    }

    @Test
    void everyReplicaAndEveryServiceListsTheAttemptWithItsOutcome() throws Exception {
        SubmitResult result = submit(order("listed-1", "sku-0102", 1, "4111111111111111"));
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        for (var node : cluster.config.nodes()) {
            NodeClient client = cluster.client(node.id());
            org.awaitility.Awaitility.await(node.id() + " applied the decision").atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> client.logDump("listed-0", 0).get().getStatesList().stream()
                            .anyMatch(st -> st.getAttemptId().equals("listed-1#1") && st.getOutcome() == Outcome.COMMIT));
        }
        for (ServiceName s : ServiceName.values()) {
            org.awaitility.Awaitility.await(s.id() + " committed").atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> cluster.participant(s).list("listed-0", 0).get().getTxnsList().stream()
                            .anyMatch(t -> t.getAttemptId().equals("listed-1#1") && t.getState() == LocalState.COMMITTED));
        }
    }

    @Test
    void aDeclinedCardAbortsEverywhereWithTheReason() throws Exception {
        SubmitResult result = submit(order("declined-1", "sku-0101", 1, "4000000000000002"));

        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getReason()).isEqualTo("payment: CARD_DECLINED: card ending 0002 declined by issuer");
        for (ServiceName s : ServiceName.values()) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> stateAt(s, "declined-1#1") != LocalState.PREPARED);
            assertThat(stateAt(s, "declined-1#1")).as(s.id()).isIn(LocalState.ROLLED_BACK, LocalState.VOTED_NO);
        }
    }

    @Test
    void insufficientStockNamesTheSkuRequestedAndAvailable() {
        SubmitResult result = submit(order("big-1", "sku-0102", 2_000_000, "4111111111111111"));

        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getReason()).contains("inventory: INSUFFICIENT_STOCK").contains("sku-0102")
                .contains("requested 2000000").contains("available 1000000");
    }

    @Test
    void anInvalidRequestIsRejectedAndNothingIsLogged() throws Exception {
        SubmitRequest bad = order("bad-1", "sku-0103", -1, "4111111111111111");

        SubmitResult result = submit(bad);

        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(result.getReason()).contains("inventory.items[0].qty: must be positive, got -1");
        assertThat(anyNode.txnStatus("bad-1").get().getStatus()).isEqualTo(TxnStatus.UNKNOWN);
    }

    @Test
    void anAbortProposalWithAReasonOfMegabytesIsRefusedAndNothingIsLogged() throws Exception {
        String huge = "r".repeat(3 << 20);
        // RESOLVE comes from services (and nodes): this one speaks as the payment service.
        NodeClient payment = cluster.clientAs("payment", cluster.awaitLeaderOfTid("rogue-1"));

        assertThatThrownBy(() -> payment.resolve("rogue-1", true, huge, "participant:payment").join())
                .cause().isInstanceOf(RemoteException.class)
                .hasMessageContaining("INVALID_REQUEST").hasMessageContaining("reason of 3145728 characters")
                .hasMessageContaining("at most 1024 each (limits.maxReasonChars)");
        assertThat(anyNode.txnStatus("rogue-1").get().getStatus()).isEqualTo(TxnStatus.UNKNOWN);

        TxnState aborted = cluster.clientAs("payment", cluster.awaitLeaderOfTid("rogue-2"))
                .resolve("rogue-2", true, "r".repeat(1_024), "participant:payment").get();
        assertThat(aborted.getOutcome()).as("a reason within the limit is taken").isEqualTo(Outcome.ABORT);
    }

    @Test
    void aFollowerSaysWhoLeads() {
        String follower = cluster.aFollowerOfTid("f-1");
        String leader = cluster.awaitLeaderOfTid("f-1");
        NodeClient client = cluster.client(follower);

        assertThatThrownBy(() -> client.submit(order("f-1", "sku-0104", 1, "4111111111111111")).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(RemoteException.class)
                .satisfies(e -> {
                    RemoteException r = (RemoteException) e;
                    assertThat(r.code()).isEqualTo(ErrorCode.NOT_LEADER);
                    assertThat(r.leaderId()).isEqualTo(leader);
                    assertThat(r.leaderAddress()).isEqualTo(cluster.node(leader).clientAddress());
                });
    }

    @Test
    void resubmittingATidReturnsItsOutcomeAndAnotherRequestUnderItIsRejected() {
        SubmitRequest request = order("again-1", "sku-0105", 1, "4111111111111111");
        SubmitResult first = submit(request);

        assertThat(submit(request)).isEqualTo(first);
        SubmitResult other = submit(order("again-1", "sku-0106", 1, "4111111111111111"));
        assertThat(other.getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(other.getReason()).contains("different request");
    }

    @Test
    void theLeadersAdminPortReportsCommitsAndHealth() throws Exception {
        submit(order("metrics-1", "sku-0107", 1, "4111111111111111"));
        // HTTPS with the cluster's admin certificate: the only one the admin port serves.
        String admin = "https://" + cluster.node(cluster.awaitLeaderOfTid("metrics-1")).adminAddress();
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .sslContext(TlsContexts.jdkClient(cluster.config, ClusterPki.ADMIN).orElseThrow()).build();

        var metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(admin + "/metrics?filter=dtm.txn"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        var health = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(admin + "/health")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        var status = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(admin + "/status")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());

        assertThat(metrics.statusCode()).isEqualTo(200);
        var committed = Json.MAPPER.readTree(metrics.body()).at("/meters/dtm.txn.committed/count");
        assertThat(committed.asLong()).as(metrics.body()).isPositive();
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(status.body()).get("coordinating").asBoolean()).isTrue();
    }

    @Test
    void concurrentOrdersOfOneSkuAndAccountShareThemAndAllCommit() throws Exception {
        InspectReply before = cluster.participant(ServiceName.INVENTORY).inspect().get();
        List<CompletableFuture<SubmitResult>> results = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            results.add(submitAsync(order("hot-" + i, "sku-0200", 1, "4111111111111111")));
        }
        for (CompletableFuture<SubmitResult> f : results) {
            SubmitResult r = f.get(60, TimeUnit.SECONDS);
            // No version named: the reservations and payment holds share their records (escrow).
            assertThat(r.getStatus()).as(r.toString()).isEqualTo(SubmitResult.Status.COMMITTED);
            assertThat(r.getAttempts()).as(r.toString()).isEqualTo(1);
        }
        assertStockConserved(before, 40);
    }

    @Test
    void versionCheckedOrdersOfOneSkuContendAndOnlyOneCommits() throws Exception {
        InspectReply before = cluster.participant(ServiceName.INVENTORY).inspect().get();
        List<CompletableFuture<SubmitResult>> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SubmitRequest order = order("versioned-" + i, "sku-0201", 1, "4111111111111111");
            // Every one read version 1 of the SKU: the first to commit makes the others stale.
            results.add(submitAsync(order.toBuilder().setInventory(InventoryRequest.newBuilder()
                    .addItems(Item.newBuilder().setSku("sku-0201").setQty(1).setExpectedVersion(1))).build()));
        }
        long committed = 0;
        for (CompletableFuture<SubmitResult> f : results) {
            SubmitResult r = f.get(60, TimeUnit.SECONDS);
            assertThat(r.getStatus()).as(r.toString()).isIn(SubmitResult.Status.COMMITTED, SubmitResult.Status.ABORTED);
            if (r.getStatus() == SubmitResult.Status.COMMITTED) {
                committed++;
            } else {
                assertThat(r.getReason()).as(r.toString()).containsAnyOf("LOCKED", "STALE_VERSION");
            }
        }
        assertThat(committed).isEqualTo(1);
        assertStockConserved(before, 1);
    }

    private void assertStockConserved(InspectReply before, long sold) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                .until(() -> cluster.participant(ServiceName.INVENTORY).inspect().get().getPreparedCount() == 0);
        Map<String, Long> totals = cluster.participant(ServiceName.INVENTORY).inspect().join().getTotalsMap();
        assertThat(totals.get("sold") - before.getTotalsMap().get("sold")).isEqualTo(sold);
        assertThat(totals.get("initialStock")).isEqualTo(totals.get("available") + totals.get("reserved")
                + totals.get("sold"));
    }
}
