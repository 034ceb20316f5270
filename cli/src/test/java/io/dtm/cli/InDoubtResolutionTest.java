package io.dtm.cli;

import io.dtm.client.ClusterStatusReader;
import io.dtm.client.DtmConnections;
import io.dtm.client.ParticipantClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.config.ParticipantsConfig;
import io.dtm.config.ServiceName;
import io.dtm.config.TimeoutsConfig;
import io.dtm.coordinator.CoordinatorNode;
import io.dtm.log.LogRecords;
import io.dtm.log.TxnLogClient;
import io.dtm.participant.ParticipantServer;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.rpc.NodeStatus;
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
 * it applies a COMMIT already logged, and otherwise proposes ABORT, which the log keeps — through
 * whichever node still answers.
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
        return Prepare.newBuilder().setTid(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(1))).build();
    }

    @Test
    void inDoubtAttemptsFollowTheLogOrAreAbortedThroughIt() throws Exception {
        ClusterConfig config = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir)
                .withTimeouts(new TimeoutsConfig(1_000, 2_000, 5_000, 60_000))
                .withParticipants(new ParticipantsConfig(IN_DOUBT_MS, 1024));
        List<CoordinatorNode> nodes = new ArrayList<>();
        for (NodeConfig node : config.nodes()) {
            nodes.add(keep(CoordinatorNode.start(config, node.id())));
        }
        DtmConnections connections = keep(new DtmConnections(Duration.ofSeconds(5)));
        await().atMost(Duration.ofSeconds(60)).until(() -> ClusterStatusReader.read(config, connections)
                .leader().filter(NodeStatus::getLeaderReady).isPresent());
        keep(ParticipantServer.start(config, ServiceName.INVENTORY));
        ParticipantClient inventory = keep(connections.connectParticipant(ServiceName.INVENTORY,
                config.service(ServiceName.INVENTORY)).get());
        TxnLogClient log = keep(TxnLogClient.connect(config, "test"));

        // a#1: the coordinator logged COMMIT but its COMMIT message never reached inventory.
        log.append(LogRecords.begin("a#1", List.of("inventory"), Long.MAX_VALUE)).join();
        log.append(LogRecords.decide("a#1", Outcome.COMMIT, "", "coordinator:gone")).join();
        // b#1: its Begin never reached the log. c#1: begun, never decided.
        log.append(LogRecords.begin("c#1", List.of("inventory"), Long.MAX_VALUE)).join();
        List<String> tids = List.of("a#1", "b#1", "c#1");
        for (int i = 0; i < tids.size(); i++) {
            assertThat(inventory.prepare(reserve(tids.get(i), "sku-000" + i)).get().getYes()).isTrue();
        }
        // The first node the participant would ask is gone: it must ask another.
        nodes.get(0).close();
        open.remove(nodes.get(0));

        await("every attempt resolved").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> inventory.inspect().get().getPreparedCount() == 0);

        assertThat(inventory.query("a#1").get().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(inventory.query("b#1").get().getState()).isEqualTo(LocalState.ROLLED_BACK);
        assertThat(inventory.query("c#1").get().getState()).isEqualTo(LocalState.ROLLED_BACK);
        TxnState b = log.read("b#1").join();
        assertThat(b.getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(b.getProposer()).isEqualTo("participant:inventory");
        assertThat(b.getStatus()).as("no Begin: nothing left for a coordinator to finish").isEqualTo(TxnStatus.ENDED);
        TxnState c = log.read("c#1").join();
        assertThat(c.getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(c.getStatus()).as("begun: a new leader still owes phase 2 and End").isEqualTo(TxnStatus.DECIDED);
        assertThat(log.read("a#1").join().getOutcome()).as("the COMMIT stands").isEqualTo(Outcome.COMMIT);
    }
}
