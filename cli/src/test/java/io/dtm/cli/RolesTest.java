package io.dtm.cli;

import io.dtm.config.ServiceName;
import io.dtm.coordinator.CoordinatorNode;
import io.dtm.log.LogAppender;
import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.ClusterCertificates;
import io.dtm.pki.Identity;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.rpc.GroupMember;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.rpc.Access.Operation;
import io.dtm.rpc.Access;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.ParticipantClient;
import io.dtm.rpc.TlsContexts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request × role table (docs/SECURITY.md), every cell on real sockets with real certificates:
 * a request from a role the table allows is served (whatever its answer), one from any other role
 * is answered PERMISSION_DENIED, naming the role and the request, and changes nothing; on the
 * leader's admin port (ADMIN_HTTP), a 403 saying the same. A certificate of the cluster's CA for a
 * node or service the cluster does not have is refused too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RolesTest {
    /** Who speaks: the certificate's file name in the cluster's tls directory. */
    private static final Map<String, Identity.Role> SPEAKERS = Map.of("n1", Identity.Role.NODE,
            "payment", Identity.Role.SERVICE, "client", Identity.Role.CLIENT, "admin", Identity.Role.ADMIN);
    private static final Set<Operation> NODE_PORT = EnumSet.of(Operation.NODE_STATUS, Operation.SUBMIT,
            Operation.TXN_STATUS, Operation.RESOLVE, Operation.LOG_DUMP, Operation.CHANGE_MEMBERS);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;
    private InProcessCluster cluster;
    private String leader;
    private final List<DtmConnections> open = new ArrayList<>();
    private final AtomicInteger tids = new AtomicInteger();

    @BeforeAll
    void startCluster() {
        cluster = new InProcessCluster(tempDir, 30_000).startAll();
        leader = cluster.awaitLeader();
        // Certificates of the cluster's own CA for a node and a service this cluster does not have.
        new ClusterCertificates(cluster.config.tlsDir(), tempDir.resolve("ca")).create("local", List.of(
                new Holder("n9", Identity.node("n9"), List.of("127.0.0.1")),
                new Holder("billing", Identity.service("billing"), List.of("127.0.0.1"))), Instant.now(), new SecureRandom());
    }

    @AfterAll
    void stopCluster() {
        open.forEach(DtmConnections::close);
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void everyCellOfTheTableIsEnforcedOnEveryPort() {
        List<String> cells = new ArrayList<>();
        for (var speaker : SPEAKERS.entrySet()) {
            DtmConnections as = connections(speaker.getKey());
            for (Operation operation : Operation.values()) {
                boolean allowed = Access.allowed(speaker.getValue(), operation);
                Optional<String> refusal = operation == Operation.ADMIN_HTTP ? adminPortRefusal(speaker.getKey())
                        : (NODE_PORT.contains(operation) ? errorOf(send(nodeClient(as), operation))
                                : errorOf(send(participantClient(as), operation)))
                        .filter(e -> e.code() == ErrorCode.PERMISSION_DENIED).map(Throwable::getMessage);
                boolean denied = refusal.isPresent();
                cells.add(speaker.getValue().id() + " " + operation + " " + (denied ? "denied" : "served"));
                assertThat(denied).as("%s sending %s", speaker.getValue(), operation).isEqualTo(!allowed);
                if (denied) {
                    assertThat(refusal.get()).contains("PERMISSION_DENIED")
                            .contains("role " + speaker.getValue().id() + " may not " + operation.action());
                }
            }
        }
        assertThat(cells).hasSize(SPEAKERS.size() * Operation.values().length);
    }

    @Test
    void aNodeOrServiceTheClusterDoesNotHaveIsRefusedEvenWithTheClustersCa() {
        Optional<RemoteException> fromN9 = errorOf(send(participantClient(connections("n9")), Operation.PREPARE));
        assertThat(fromN9).hasValueSatisfying(e -> assertThat(e.code()).isEqualTo(ErrorCode.PERMISSION_DENIED))
                .hasValueSatisfying(e -> assertThat(e).hasMessageContaining("node n9 is not a node of this cluster"));

        Optional<RemoteException> fromBilling = errorOf(send(nodeClient(connections("billing")), Operation.RESOLVE));
        assertThat(fromBilling).hasValueSatisfying(e -> assertThat(e).hasMessageContaining(
                "service billing is not a service of this cluster"));
    }

    @Test
    void aServiceSpeaksOnlyForItselfAboutAttemptsItTakesPartIn() throws Exception {
        String attempt = "inventory-only-" + tids.incrementAndGet() + "#1";
        CoordinatorNode leading = cluster.coordinator(leader);
        try (LogAppender asLeader = leading.logServer().appender("roles-test", 0, leading.logServer().status().getTerm())) {
            asLeader.append(LogRecords.begin(attempt, List.of("inventory"), Long.MAX_VALUE)).join();
        }
        NodeClient payment = nodeClient(connections("payment"));

        assertThat(errorOf(payment.resolve("unknown#1", false, "", "participant:inventory")))
                .as("payment naming itself inventory").hasValueSatisfying(e -> assertThat(e)
                        .hasMessageContaining("PERMISSION_DENIED").hasMessageContaining("may propose only as participant:payment"));
        assertThat(errorOf(payment.resolve(attempt, false, "", "participant:payment")))
                .as("payment asking about an attempt of inventory's").hasValueSatisfying(e -> assertThat(e)
                        .hasMessageContaining("PERMISSION_DENIED").hasMessageContaining("payment takes no part in " + attempt));
        assertThat(errorOf(payment.resolve(attempt, true, "in doubt", "participant:payment")))
                .as("payment aborting it").hasValueSatisfying(e -> assertThat(e)
                        .hasMessageContaining("payment takes no part in " + attempt));

        NodeClient inventory = nodeClient(connections("inventory"));
        assertThat(inventory.resolve(attempt, false, "", "participant:inventory").get().getOutcome())
                .as("still undecided: nothing payment sent reached the log").isEqualTo(Outcome.UNDECIDED);
        NodeClient inventoryAtAFollower = connections("inventory").connect(cluster.node(cluster.aFollower())).join();
        assertThat(errorOf(inventoryAtAFollower.resolve(attempt, true, "in doubt", "participant:inventory")))
                .as("an ABORT proposal at a follower").hasValueSatisfying(e -> assertThat(e.code())
                        .isEqualTo(ErrorCode.NOT_LEADER));
        TxnState aborted = inventory.resolve(attempt, true, "in doubt", "participant:inventory").get();
        assertThat(aborted.getOutcome()).as("its own participant aborts it, at the leader").isEqualTo(Outcome.ABORT);
        assertThat(aborted.getProposer()).isEqualTo("participant:inventory");
    }

    @Test
    void refusalsAreCountedWhereTheyHappen() throws Exception {
        long before = cluster.service(ServiceName.INVENTORY).permissionDenied();
        errorOf(send(participantClient(connections("client")), Operation.COMMIT));
        errorOf(send(participantClient(connections("client")), Operation.SET_FAULTS));

        assertThat(cluster.service(ServiceName.INVENTORY).permissionDenied()).isEqualTo(before + 2);

        long onTheNode = nodePermissionDenied();
        assertThat(adminPortRefusal("client")).isPresent();
        assertThat(nodePermissionDenied()).isEqualTo(onTheNode + 1);
    }

    /** The leader's {@code dtm.security.permission-denied}, read on its admin port with the admin certificate. */
    private long nodePermissionDenied() throws Exception {
        HttpResponse<String> metrics = adminGet("admin", "/metrics?filter=permission-denied");
        assertThat(metrics.statusCode()).isEqualTo(200);
        return Json.MAPPER.readTree(metrics.body()).at("/counters/dtm.security.permission-denied/count").asLong();
    }

    /** GET /status on the leader's admin port with {@code certificate}: the 403's body, or empty when served. */
    private Optional<String> adminPortRefusal(String certificate) {
        try {
            HttpResponse<String> response = adminGet(certificate, "/status");
            if (response.statusCode() == 403) {
                return Optional.of(response.body());
            }
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return Optional.empty();
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("GET /status as " + certificate + " failed", e);
        }
    }

    private HttpResponse<String> adminGet(String certificate, String path) throws IOException, InterruptedException {
        HttpClient https = HttpClient.newBuilder().sslContext(TlsContexts.jdkClient(cluster.config, certificate)
                .orElseThrow()).connectTimeout(Duration.ofSeconds(10)).build();
        return https.send(HttpRequest.newBuilder(URI.create("https://" + cluster.node(leader).adminAddress() + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private DtmConnections connections(String certificate) {
        DtmConnections c = DtmConnections.of(cluster.config, certificate, Duration.ofSeconds(20), "roles-" + certificate);
        open.add(c);
        return c;
    }

    private NodeClient nodeClient(DtmConnections as) {
        return as.connect(cluster.node(leader)).join();
    }

    private ParticipantClient participantClient(DtmConnections as) {
        return as.connectParticipant(ServiceName.INVENTORY, cluster.config.service(ServiceName.INVENTORY)).join();
    }

    private CompletableFuture<?> send(NodeClient node, Operation operation) {
        String tid = "roles-" + tids.incrementAndGet();
        return switch (operation) {
            case NODE_STATUS -> node.status();
            case SUBMIT -> node.submit(SubmitRequest.newBuilder().setTid(tid).setInventory(InventoryRequest.newBuilder()
                    .addItems(Item.newBuilder().setSku("sku-0001").setQty(1))).build());
            case TXN_STATUS -> node.txnStatus(tid);
            case RESOLVE -> node.resolve(tid + "#1", false, "", "participant:payment"); // a question: changes nothing
            case LOG_DUMP -> node.logDump("", 1);
            // The members group 0 has already: agreed on, and nothing changes.
            case CHANGE_MEMBERS -> node.changeMembers(0, cluster.config.groupMembers(0).stream()
                    .map(id -> GroupMember.newBuilder().setNodeId(id).setRaftAddress(cluster.config.node(id).raftAddress())
                            .build()).toList());
            default -> throw new IllegalArgumentException(operation + " is not a node-port request");
        };
    }

    private CompletableFuture<?> send(ParticipantClient service, Operation operation) {
        String tid = "roles-" + tids.incrementAndGet() + "#1";
        return switch (operation) {
            case PREPARE -> service.prepare(Prepare.newBuilder().setAttemptId(tid).setInventory(InventoryRequest
                    .newBuilder().addItems(Item.newBuilder().setSku("sku-0002").setQty(1))).build())
                    .thenCompose(vote -> service.rollback(tid)); // leave nothing held
            case COMMIT -> service.commit(tid);
            case ROLLBACK -> service.rollback(tid);
            case QUERY -> service.query(tid);
            case INSPECT -> service.inspect();
            case LIST_TXNS -> service.list("", 1);
            case SET_FAULTS -> service.setFaults(Faults.getDefaultInstance());
            default -> throw new IllegalArgumentException(operation + " is not a service-port request");
        };
    }

    /** The error the server answered with, or empty when it served the request (or answered with no error). */
    private static Optional<RemoteException> errorOf(CompletableFuture<?> reply) {
        try {
            reply.join();
            return Optional.empty();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RemoteException remote) {
                return Optional.of(remote);
            }
            throw e;
        }
    }
}
