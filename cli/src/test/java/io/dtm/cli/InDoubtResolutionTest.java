package io.dtm.cli;

import io.dtm.log.TxnLogServer;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.config.ParticipantsConfig;
import io.dtm.config.ServiceName;
import io.dtm.config.TimeoutsConfig;
import io.dtm.coordinator.CoordinatorNode;
import io.dtm.log.LogAppender;
import io.dtm.log.TxnLogClient;
import io.dtm.participant.ParticipantServer;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
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
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A participant left PREPARED by a silent coordinator resolves through the real replicated log:
 * it applies a COMMIT already logged, and otherwise proposes ABORT, which the log keeps — asking
 * whichever node still answers, and the leader it names for the ABORT.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class InDoubtResolutionTest {
    private static final long IN_DOUBT_MS = 1_500;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private <T extends AutoCloseable> T keep(T resource) {
        open.add(resource);
        return resource;
    }

    private static Prepare reserve(String tid, String sku) {
        return Prepare.newBuilder().setAttemptId(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(1))).build();
    }

    @Test
    void inDoubtAttemptsFollowTheLogOrAreAbortedThroughIt() throws Exception {
        // One log group: the records of a silent coordinator are appended through that group's leader,
        // and its leadership must stay put (in-doubt questions per group run in the harness and the
        // simulation, on three).
        ClusterConfig config = ClusterConfig.loadDefault().withLogGroups(1, 0).withPorts(FreePorts::next).withDataDir(dir)
                .withTimeouts(new TimeoutsConfig(1_000, 2_000, 5_000, 60_000))
                .withParticipants(new ParticipantsConfig(IN_DOUBT_MS, 1024, false)).withTlsDir(dir.resolve("tls"));
        ClusterPki.prepare(config, dir.resolve("ca"));
        // The first node in the config, the one the participant asks first, joins only after the other
        // two have elected a leader, so it is a follower and closing it below changes no leadership
        // (a new leader would rightly finish c#1 itself).
        List<NodeConfig> nodeConfigs = config.nodes();
        // It plays node n2 towards the inventory service (it sends PREPAREs) and reads status from the nodes.
        DtmConnections connections = keep(DtmConnections.of(config, "n2", Duration.ofSeconds(5), "test"));
        List<CoordinatorNode> nodes = new ArrayList<>();
        for (NodeConfig node : nodeConfigs.subList(1, nodeConfigs.size())) {
            nodes.add(keep(CoordinatorNode.start(config, node.id(), TxnLogServer.Start.NEW_CLUSTER)));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> ClusterStatusReader.read(config, connections)
                .leader().filter(NodeStatus::getLeaderReady).isPresent());
        String leader = ClusterStatusReader.read(config, connections).leader().orElseThrow().getNodeId();
        CoordinatorNode first = keep(CoordinatorNode.start(config, nodeConfigs.get(0).id(), TxnLogServer.Start.NEW_CLUSTER));
        keep(ParticipantServer.start(config, ServiceName.INVENTORY));
        ParticipantClient inventory = keep(connections.connectParticipant(ServiceName.INVENTORY,
                config.service(ServiceName.INVENTORY)).get());
        // What the service holds is read as the operator reads it (INSPECT and QUERY are admin's).
        DtmConnections asAdmin = keep(DtmConnections.of(config, "admin", Duration.ofSeconds(5), "test-admin"));
        ParticipantClient inventoryAdmin = keep(asAdmin.connectParticipant(ServiceName.INVENTORY,
                config.service(ServiceName.INVENTORY)).get());
        TxnLogClient log = keep(TxnLogClient.connect(config, "test"));
        // What a coordinator that went silent had logged, appended as the leader (records enter the
        // log only through the leader's own appender).
        CoordinatorNode leading = nodes.stream().filter(n -> n.nodeId().equals(leader)).findFirst().orElseThrow();
        LogAppender asLeader = keep(leading.logServer().appender("test", 0, leading.logServer().status().getTerm()));

        // a#1: the coordinator logged COMMIT but its COMMIT message never reached inventory.
        asLeader.append(LogRecords.begin("a#1", List.of("inventory"), Long.MAX_VALUE)).join();
        asLeader.append(LogRecords.decide("a#1", Outcome.COMMIT, "", "coordinator:gone")).join();
        // b#1: its Begin never reached the log. c#1: begun, never decided.
        asLeader.append(LogRecords.begin("c#1", List.of("inventory"), Long.MAX_VALUE)).join();
        List<String> tids = List.of("a#1", "b#1", "c#1");
        for (int i = 0; i < tids.size(); i++) {
            assertThat(inventory.prepare(reserve(tids.get(i), "sku-000" + i)).get().getYes()).isTrue();
        }
        // The first node the participant would ask is gone: it must ask another.
        first.close();
        open.remove(first);

        await("every attempt resolved").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> inventoryAdmin.inspect().get().getPreparedCount() == 0);

        assertThat(inventoryAdmin.query("a#1").get().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(inventoryAdmin.query("b#1").get().getState()).isEqualTo(LocalState.ROLLED_BACK);
        assertThat(inventoryAdmin.query("c#1").get().getState()).isEqualTo(LocalState.ROLLED_BACK);
        TxnState b = log.read("b#1").join();
        assertThat(b.getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(b.getProposer()).isEqualTo("participant:inventory");
        assertThat(b.getStatus()).as("no Begin: nothing left for a coordinator to finish").isEqualTo(TxnStatus.ENDED);
        TxnState c = log.read("c#1").join();
        assertThat(c.getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(c.getProposer()).isEqualTo("participant:inventory");
        assertThat(c.getStatus()).as("begun: a coordinator still owes phase 2 and End").isEqualTo(TxnStatus.DECIDED);
        assertThat(ClusterStatusReader.read(config, connections).leader().orElseThrow().getNodeId())
                .as("no leader change finished c#1 instead").isEqualTo(leader);
        assertThat(log.read("a#1").join().getOutcome()).as("the COMMIT stands").isEqualTo(Outcome.COMMIT);
    }
}
