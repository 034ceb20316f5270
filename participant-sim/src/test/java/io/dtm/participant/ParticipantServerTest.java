package io.dtm.participant;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.ServiceName;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.LocalTxn;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A participant service in this JVM, over its real port and its real RocksDB store. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ParticipantServerTest {
    @TempDir
    Path dir;

    private ClusterConfig config;
    private final List<AutoCloseable> open = new ArrayList<>();
    private DtmConnections connections;
    private DtmConnections asAdmin;

    /**
     * A service as the cluster meets it: node n1 sends the protocol (PREPARE, COMMIT, ROLLBACK), the
     * operator reads and sets (INSPECT, QUERY, SET_FAULTS); each role may send only its own.
     */
    private record Service(ParticipantClient node, ParticipantClient admin) {
        CompletableFuture<Vote> prepare(Prepare prepare) {
            return node.prepare(prepare);
        }

        CompletableFuture<LocalState> commit(String tid) {
            return node.commit(tid);
        }

        CompletableFuture<LocalState> rollback(String tid) {
            return node.rollback(tid);
        }

        CompletableFuture<InspectReply> inspect() {
            return admin.inspect();
        }

        CompletableFuture<LocalTxn> query(String tid) {
            return admin.query(tid);
        }

        CompletableFuture<Faults> setFaults(Faults faults) {
            return admin.setFaults(faults);
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private ParticipantServer start(ServiceName service) throws Exception {
        return start(service, false);
    }

    private ParticipantServer start(ServiceName service, boolean faultInjection) throws Exception {
        if (config == null) {
            config = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir).withTlsDir(dir.resolve("tls"));
            config = config.withParticipants(config.participants().withFaultInjection(faultInjection));
            ClusterPki.prepare(config, dir.resolve("ca")); // the test plays node n1 and the operator
            connections = DtmConnections.of(config, "n1", Duration.ofSeconds(5), "test");
            open.add(connections);
            asAdmin = DtmConnections.of(config, "admin", Duration.ofSeconds(5), "test-admin");
            open.add(asAdmin);
        }
        ParticipantServer server = ParticipantServer.start(config, service);
        open.add(server);
        return server;
    }

    private void stop(ParticipantServer server) {
        open.remove(server);
        server.close();
    }

    private Service client(ServiceName service) throws Exception {
        ParticipantClient node = connections.connectParticipant(service, config.service(service)).get();
        open.add(node);
        ParticipantClient admin = asAdmin.connectParticipant(service, config.service(service)).get();
        open.add(admin);
        return new Service(node, admin);
    }

    static Prepare reserve(String tid, String sku, long qty) {
        return Prepare.newBuilder().setAttemptId(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(qty))).build();
    }

    /** A reservation that names the version it read: it holds the SKU alone. */
    static Prepare reserveVersioned(String tid, String sku, long qty, long expectedVersion) {
        return Prepare.newBuilder().setAttemptId(tid).setInventory(InventoryRequest.newBuilder()
                .addItems(Item.newBuilder().setSku(sku).setQty(qty).setExpectedVersion(expectedVersion))).build();
    }

    static Prepare pay(String tid, String account, long cents) {
        return Prepare.newBuilder().setAttemptId(tid).setPayment(PaymentRequest.newBuilder().setAccount(account)
                .setCard("4111111111111111").setExpiry("12/99").setAmountCents(cents)).build();
    }

    @Test
    void aYesVoteSurvivesARestartAndStillHoldsItsRecords() throws Exception {
        ParticipantServer server = start(ServiceName.INVENTORY);
        Service client = client(ServiceName.INVENTORY);
        assertThat(client.prepare(reserveVersioned("t-1", "sku-0001", 5, 1)).get().getYes()).isTrue();
        stop(server);

        start(ServiceName.INVENTORY);
        Service again = client(ServiceName.INVENTORY);

        Vote blocked = again.prepare(reserve("t-2", "sku-0001", 1)).get();
        assertThat(blocked.getCode()).isEqualTo(VoteCode.LOCKED);
        assertThat(blocked.getMessage()).contains("t-1");
        InspectReply before = again.inspect().get();
        assertThat(before.getPreparedList()).extracting(p -> p.getAttemptId()).containsExactly("t-1");
        assertThat(before.getTotalsMap()).containsEntry("reserved", 5L);
        assertThat(again.commit("t-1").get()).isEqualTo(LocalState.COMMITTED);
        assertThat(again.inspect().get().getTotalsMap()).containsEntry("sold", 5L).containsEntry("reserved", 0L);
    }

    @Test
    void concurrentPreparesShareSyncedWrites() throws Exception {
        ParticipantServer server = start(ServiceName.INVENTORY);
        Service client = client(ServiceName.INVENTORY);

        List<CompletableFuture<Vote>> votes = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            votes.add(client.prepare(reserve("g-" + i, String.format("sku-%04d", i), 1)));
        }
        votes.forEach(v -> assertThat(v.join().getYes()).isTrue());

        ParticipantServer.GroupCommitStats stats = server.groupCommitStats();
        assertThat(stats.messages()).isEqualTo(500);
        assertThat(stats.writes()).as("500 prepares in flight at once need far fewer fsyncs").isLessThan(250);
    }

    @Test
    void anotherServicesRequestIsVotedNoNamingTheProblem() throws Exception {
        start(ServiceName.INVENTORY);
        Vote vote = client(ServiceName.INVENTORY).prepare(pay("t-x", "acct-0001", 100)).get();
        assertThat(vote.getYes()).isFalse();
        assertThat(vote.getCode()).isEqualTo(VoteCode.INVALID_REQUEST);
        assertThat(vote.getMessage()).isNotBlank();
    }

    @Test
    void aCommitForATidNeverPreparedIsAProtocolErrorAndCounted() throws Exception {
        start(ServiceName.PAYMENT);
        Service client = client(ServiceName.PAYMENT);
        assertThatThrownBy(() -> client.commit("ghost").join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(RemoteException.class).hasMessageContaining("never prepared");
        assertThat(client.inspect().get().getProtocolErrors()).isEqualTo(1);
    }

    @Test
    void withoutFaultInjectionSetFaultsIsRefusedAsDisabledAndNothingIsInjected() throws Exception {
        start(ServiceName.PAYMENT);
        Service client = client(ServiceName.PAYMENT);

        assertThatThrownBy(() -> client.setFaults(Faults.newBuilder().setForceNoProbability(1)
                .setCrashAt(io.dtm.protocol.participant.CrashPoint.BEFORE_PREPARE).build()).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(RemoteException.class)
                .hasMessageContaining("DISABLED").hasMessageContaining("fault injection is off on payment")
                .hasMessageContaining("participants.faultInjection: true")
                .satisfies(e -> assertThat(((RemoteException) e).code()).isEqualTo(ErrorCode.DISABLED));
        assertThat(client.prepare(pay("d-1", "acct-0001", 100)).get(5, TimeUnit.SECONDS).getYes())
                .as("no NO vote forced, no crash before the PREPARE").isTrue();
    }

    @Test
    void faultsForceNoVotesDelayRepliesAndDropRequests() throws Exception {
        start(ServiceName.PAYMENT, true);
        Service client = client(ServiceName.PAYMENT);

        client.setFaults(Faults.newBuilder().setForceNoProbability(1).build()).get();
        assertThat(client.prepare(pay("f-1", "acct-0001", 100)).get().getCode()).isEqualTo(VoteCode.FORCED_NO);

        client.setFaults(Faults.newBuilder().setLatencyMinMs(300).setLatencyMaxMs(300).build()).get();
        long start = System.nanoTime();
        assertThat(client.prepare(pay("f-2", "acct-0001", 100)).get().getYes()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

        client.setFaults(Faults.newBuilder().setDropProbability(1).build()).get();
        CompletableFuture<Vote> dropped = client.prepare(pay("f-3", "acct-0002", 100));
        assertThatThrownBy(() -> dropped.get(1, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
    }

    @Test
    void faultsThatDropEveryRequestCanBeClearedOverTheNetwork() throws Exception {
        start(ServiceName.PAYMENT, true);
        Service client = client(ServiceName.PAYMENT);
        client.setFaults(Faults.newBuilder().setDropProbability(1).build()).get(5, TimeUnit.SECONDS);

        assertThat(client.setFaults(Faults.getDefaultInstance()).get(5, TimeUnit.SECONDS))
                .isEqualTo(Faults.getDefaultInstance());
        assertThat(client.prepare(pay("c-1", "acct-0001", 100)).get(5, TimeUnit.SECONDS).getYes()).isTrue();
    }

    @Test
    void anUnavailableWindowAnswersNoProtocolMessageUntilItEndsButStillAnswersInspect() throws Exception {
        start(ServiceName.ORDER, true);
        Service client = client(ServiceName.ORDER);
        long until = System.currentTimeMillis() + 1_500;
        client.setFaults(Faults.newBuilder().setUnavailableUntilMs(until).build()).get();

        CompletableFuture<LocalTxn> during = client.query("u-1");
        assertThatThrownBy(() -> during.get(500, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        assertThat(client.inspect().get(5, TimeUnit.SECONDS).getService()).as("operator reads ignore faults")
                .isEqualTo("order");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> System.currentTimeMillis() > until);
        assertThat(client.query("u-1").get(5, TimeUnit.SECONDS).getState()).isEqualTo(LocalState.NONE);
    }
}
