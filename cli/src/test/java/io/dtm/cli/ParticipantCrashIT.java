package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.ServiceName;
import io.dtm.protocol.participant.CrashPoint;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.LocalTxn;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A participant service as a real process, killed with SIGKILL and by its own crash point, then
 * restarted on its data: every PREPARED transaction is still prepared and still holds its records.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ParticipantCrashIT {
    private static final Path ROOT = Path.of(System.getProperty("dtm.repo.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private Process process;

    @AfterEach
    void killLeftover() {
        if (process != null) {
            process.destroyForcibly();
        }
    }

    private ClusterConfig config;
    private Path configFile;

    private void configure() throws Exception {
        if (config == null) {
            config = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(tmp.resolve("data"));
            // Fault injection on: the test arms a crash point (SET_FAULTS).
            config = config.withParticipants(config.participants().withFaultInjection(true));
            configFile = tmp.resolve("cluster.yaml");
            Files.writeString(configFile, config.toYaml());
            ClusterPki.prepare(config, tmp.resolve("ca")); // the test plays node n1 and the operator (admin)
        }
    }

    private void startInventory() throws Exception {
        configure();
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("dtm").toString(), "participant",
                "--service", "inventory", "--config", configFile.toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(tmp.resolve("inventory.log").toFile()));
        builder.environment().put("DTM_SKIP_BUILD", "1");
        // Its own temporary directory, to see what a killed process leaves there.
        builder.environment().put("DTM_JAVA_OPTS", "-Xmx512m -XX:+UseSerialGC -Djava.io.tmpdir=" + javaTmp());
        process = builder.start();
    }

    private Path javaTmp() throws java.io.IOException {
        return Files.createDirectories(tmp.resolve("java-tmp"));
    }

    /** The service as node n1 sees it (PREPARE, COMMIT, ROLLBACK) and as the operator does (INSPECT, QUERY, SET_FAULTS). */
    private record Inventory(ParticipantClient node, ParticipantClient admin) {
    }

    private Inventory connect(DtmConnections asNode, DtmConnections asAdmin) {
        ParticipantClient admin = await("inventory answers").atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> {
                    ParticipantClient c = asAdmin.connectParticipant(ServiceName.INVENTORY,
                            config.service(ServiceName.INVENTORY)).get();
                    c.inspect().get(5, TimeUnit.SECONDS);
                    return c;
                }, c -> true);
        try {
            return new Inventory(asNode.connectParticipant(ServiceName.INVENTORY, config.service(ServiceName.INVENTORY))
                    .get(10, TimeUnit.SECONDS), admin);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Prepare reserve(String tid, String sku, long qty) {
        return Prepare.newBuilder().setAttemptId(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(qty))).build();
    }

    /** A reservation that names the version it read: it holds the SKU alone. */
    private static Prepare reserveVersioned(String tid, String sku, long qty, long expectedVersion) {
        return Prepare.newBuilder().setAttemptId(tid).setInventory(InventoryRequest.newBuilder()
                .addItems(Item.newBuilder().setSku(sku).setQty(qty).setExpectedVersion(expectedVersion))).build();
    }

    @Test
    void preparedTransactionsSurviveSigkillAndACrashRightAfterTheVoteIsDurable() throws Exception {
        configure();
        try (DtmConnections asNode = DtmConnections.of(config, "n1", Duration.ofSeconds(10), "test-n1");
                DtmConnections asAdmin = DtmConnections.of(config, "admin", Duration.ofSeconds(10), "test-admin")) {
            startInventory();
            Inventory client = connect(asNode, asAdmin);
            // With the version it read, t-1 holds sku-0001 alone: the hold must come back after the kill.
            assertThat(client.node().prepare(reserveVersioned("t-1#1", "sku-0001", 5, 1)).get().getYes()).isTrue();
            assertThat(client.node().prepare(reserve("t-2#1", "sku-0002", 1)).get().getYes()).isTrue();
            assertThat(client.node().commit("t-2#1").get()).isEqualTo(LocalState.COMMITTED);

            process.destroyForcibly(); // SIGKILL
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            startInventory();
            Inventory afterKill = connect(asNode, asAdmin);

            InspectReply inspect = afterKill.admin().inspect().get();
            assertThat(inspect.getPreparedList()).extracting(p -> p.getAttemptId()).containsExactly("t-1#1");
            assertThat(inspect.getTotalsMap()).containsEntry("reserved", 5L).containsEntry("sold", 1L);
            Vote blocked = afterKill.node().prepare(reserve("t-3#1", "sku-0001", 1)).get();
            assertThat(blocked.getCode()).as("t-1 still holds sku-0001").isEqualTo(VoteCode.LOCKED);
            LocalTxn t1 = afterKill.admin().query("t-1#1").get();
            assertThat(t1.getState()).isEqualTo(LocalState.PREPARED);
            assertThat(t1.getEffectsList()).anyMatch(e -> e.contains("sku-0001"));
            assertThat(afterKill.node().commit("t-1#1").get()).isEqualTo(LocalState.COMMITTED);
            assertThat(afterKill.admin().inspect().get().getTotalsMap()).containsEntry("sold", 6L).containsEntry("reserved", 0L);

            afterKill.admin().setFaults(Faults.newBuilder().setCrashAt(CrashPoint.AFTER_VOTE_PERSISTED).build()).get();
            CompletableFuture<Vote> lost = afterKill.node().prepare(reserve("t-4#1", "sku-0004", 2));
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the crash point halts the process").isTrue();
            assertThat(process.exitValue()).isEqualTo(137);
            await("the connection to notice").atMost(Duration.ofSeconds(15)).until(lost::isDone);
            assertThat(lost).as("the YES vote never left the process").isCompletedExceptionally();

            startInventory();
            Inventory afterCrash = connect(asNode, asAdmin);
            assertThat(afterCrash.admin().query("t-4#1").get().getState()).as("the vote was durable").isEqualTo(LocalState.PREPARED);
            assertThat(afterCrash.node().prepare(reserve("t-4#1", "sku-0004", 2)).get().getYes())
                    .as("the coordinator's retry gets the first answer").isTrue();
            assertThat(afterCrash.node().rollback("t-4#1").get()).isEqualTo(LocalState.ROLLED_BACK);
            try (var left = Files.list(javaTmp())) {
                assertThat(left.map(p -> p.getFileName().toString()))
                        .as("a killed or halted service leaves no copy of RocksDB's 15 MB native library behind")
                        .noneMatch(name -> name.contains("rocksdb"));
            }
            InspectReply end = afterCrash.admin().inspect().get();
            assertThat(end.getTotalsMap().get("initialStock"))
                    .isEqualTo(end.getTotalsMap().get("available") + end.getTotalsMap().get("reserved")
                            + end.getTotalsMap().get("sold"));
        }
    }
}
