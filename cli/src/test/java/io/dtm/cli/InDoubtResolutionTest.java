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
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Prepare;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
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
 * A participant left PREPARED by a silent coordinator resolves through the real replicated log of
 * three groups: it applies a COMMIT already logged, and otherwise proposes ABORT, which the log of
 * the attempt's group keeps — asking whichever node still answers, which takes each question to
 * the attempt's group.
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
        // The bundled three log groups: group g prefers node n(g+1). The attempts live in groups 1 and 2,
        // whose leaders (n2, n3) stay put; n1, which the participant asks first, leads group 0 and goes away.
        ClusterConfig config = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir)
                .withTimeouts(new TimeoutsConfig(1_000, 2_000, 5_000, 60_000))
                .withParticipants(new ParticipantsConfig(IN_DOUBT_MS, 1024, false)).withTlsDir(dir.resolve("tls"));
        assertThat(config.log().groups()).isEqualTo(3);
        ClusterPki.prepare(config, dir.resolve("ca"));
        List<NodeConfig> nodeConfigs = config.nodes();
        // It plays node n2 towards the inventory service (it sends PREPAREs) and reads status from the nodes.
        DtmConnections connections = keep(DtmConnections.of(config, "n2", Duration.ofSeconds(5), "test"));
        List<CoordinatorNode> nodes = new ArrayList<>();
        for (NodeConfig node : nodeConfigs.subList(1, nodeConfigs.size())) {
            nodes.add(keep(CoordinatorNode.start(config, node.id(), TxnLogServer.Start.NEW_CLUSTER)));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ClusterView view = ClusterStatusReader.read(config, connections);
            return view.everyGroupLed() && ledBy(view, 1).equals("n2") && ledBy(view, 2).equals("n3");
        });
        // n1 joins and gets group 0 back (a hand-back) before anything is in doubt.
        CoordinatorNode first = keep(CoordinatorNode.start(config, nodeConfigs.get(0).id(), TxnLogServer.Start.NEW_CLUSTER));
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ClusterView view = ClusterStatusReader.read(config, connections);
            return view.everyGroupLed() && ledBy(view, 0).equals("n1");
        });
        keep(ParticipantServer.start(config, ServiceName.INVENTORY));
        ParticipantClient inventory = keep(connections.connectParticipant(ServiceName.INVENTORY,
                config.service(ServiceName.INVENTORY)).get());
        // What the service holds is read as the operator reads it (INSPECT and QUERY are admin's).
        DtmConnections asAdmin = keep(DtmConnections.of(config, "admin", Duration.ofSeconds(5), "test-admin"));
        ParticipantClient inventoryAdmin = keep(asAdmin.connectParticipant(ServiceName.INVENTORY,
                config.service(ServiceName.INVENTORY)).get());
        TxnLogClient log = keep(TxnLogClient.connect(config, "test"));
        // What a coordinator that went silent had logged, appended as each group's leader (records
        // enter the log only through the leader's own appender).
        LogAppender group1 = keep(appenderOfLeader(nodes, config, connections, 1));
        LogAppender group2 = keep(appenderOfLeader(nodes, config, connections, 2));
        String a = attemptOfGroup(config, "a", 1);
        String b = attemptOfGroup(config, "b", 1);
        String c = attemptOfGroup(config, "c", 2);

        // a: the coordinator logged COMMIT but its COMMIT message never reached inventory.
        group1.append(LogRecords.begin(a, List.of("inventory"), Long.MAX_VALUE)).join();
        group1.append(LogRecords.decide(a, Outcome.COMMIT, "", "coordinator:gone")).join();
        // b: its Begin never reached the log. c: begun, never decided.
        group2.append(LogRecords.begin(c, List.of("inventory"), Long.MAX_VALUE)).join();
        List<String> attempts = List.of(a, b, c);
        for (int i = 0; i < attempts.size(); i++) {
            assertThat(inventory.prepare(reserve(attempts.get(i), "sku-000" + i)).get().getYes()).isTrue();
        }
        // The first node the participant would ask is gone: it must ask another, which sends each
        // question and each ABORT proposal on to the leader of that attempt's group.
        first.close();
        open.remove(first);

        await("every attempt resolved").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> inventoryAdmin.inspect().get().getPreparedCount() == 0);

        assertThat(inventoryAdmin.query(a).get().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(inventoryAdmin.query(b).get().getState()).isEqualTo(LocalState.ROLLED_BACK);
        assertThat(inventoryAdmin.query(c).get().getState()).isEqualTo(LocalState.ROLLED_BACK);
        TxnState bState = log.read(b).join();
        assertThat(bState.getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(bState.getProposer()).isEqualTo("participant:inventory");
        assertThat(bState.getStatus()).as("no Begin: nothing left for a coordinator to finish").isEqualTo(TxnStatus.ENDED);
        TxnState cState = log.read(c).join();
        assertThat(cState.getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(cState.getProposer()).isEqualTo("participant:inventory");
        assertThat(cState.getStatus()).as("begun: a coordinator still owes phase 2 and End").isEqualTo(TxnStatus.DECIDED);
        ClusterView after = ClusterStatusReader.read(config, connections);
        assertThat(List.of(ledBy(after, 1), ledBy(after, 2))).as("no leader change finished c instead")
                .containsExactly("n2", "n3");
        assertThat(log.read(a).join().getOutcome()).as("the COMMIT stands").isEqualTo(Outcome.COMMIT);
    }

    private static String ledBy(ClusterView view, int group) {
        return view.leaderOf(group).map(ClusterView.GroupLeader::nodeId).orElse("");
    }

    private static LogAppender appenderOfLeader(List<CoordinatorNode> nodes, ClusterConfig config,
            DtmConnections connections, int group) {
        ClusterView.GroupLeader leader = ClusterStatusReader.read(config, connections).leaderOf(group).orElseThrow();
        CoordinatorNode leading = nodes.stream().filter(n -> n.nodeId().equals(leader.nodeId())).findFirst().orElseThrow();
        return leading.logServer().appender("test", group, leader.status().getTerm());
    }

    /** The first attempt {@code prefix-i#1} whose tid falls in log group {@code group}. */
    private static String attemptOfGroup(ClusterConfig config, String prefix, int group) {
        for (int i = 0; ; i++) {
            String attempt = prefix + "-" + i + "#1";
            if (LogGroupOfTid.indexOf(attempt, config.log().groups()) == group) {
                return attempt;
            }
        }
    }
}
