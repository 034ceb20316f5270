package io.dtm.log;

import io.dtm.config.ClusterConfig;
import io.dtm.log.raft.LogGroups;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnState;
import org.apache.ratis.protocol.RaftPeer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Changing a log group's members on real Ratis servers in one JVM: a node that lost its disk is
 * refused rather than rejoining as an empty voter, and a new node takes its place through Ratis's
 * configuration change, catching up (past a purged log, by snapshot) and counting as a voter: with
 * it, the group commits when another original member is down too. Log time's members follow the
 * configuration on every replica.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class MembershipChangeTest {
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private LocalLogCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private void commit(String prefix, int n) {
        List<CompletableFuture<RecordResult>> begins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            begins.add(cluster.appendAsLeader(begin(prefix + i, FOUR, Long.MAX_VALUE)));
        }
        begins.forEach(f -> assertThat(f.join().getDisposition()).isEqualTo(Disposition.APPLIED));
        List<CompletableFuture<RecordResult>> decides = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            decides.add(cluster.appendAsLeader(decide(prefix + i, Outcome.COMMIT, "ok", "coordinator:test")));
        }
        decides.forEach(f -> assertThat(f.join().getOutcome()).isEqualTo(Outcome.COMMIT));
    }

    private static void wipe(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aNodeThatLostItsDiskIsRefusedAndANewNodeTakesItsPlaceAsAVoter() throws Exception {
        // Snapshots every 20 entries and small segments: the newcomer finds the log purged behind a snapshot.
        cluster = new LocalLogCluster(dir, 20, 16 << 10);
        cluster.startAll();
        cluster.awaitLeader();
        commit("before-", 40);

        String lost = "n3";
        if (cluster.awaitLeader().equals(lost)) {
            cluster.stop(lost);
            cluster.awaitLeader();
        } else {
            cluster.stop(lost);
        }
        wipe(cluster.config().nodeDataDir(lost));
        assertThatThrownBy(() -> cluster.start(lost, cluster.config(), TxnLogServer.Start.RESTART))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("[n3] this node has no log in")
                .hasMessageContaining("must not rejoin as an empty voter")
                .hasMessageContaining("./dtm cluster replace-node n3");
        assertThat(Files.exists(cluster.config().nodeDataDir(lost).resolve("log-layout")))
                .as("a refused start leaves the storage blank, so it is refused again").isFalse();
        commit("while-n3-is-away-", 10);

        ClusterConfig replaced = cluster.withNodeReplaced(lost, "n4");
        cluster.start("n4", replaced, TxnLogServer.Start.JOIN);
        assertThat(cluster.server("n4").members(0)).as("a joining node waits with no members").isEmpty();
        assertThat(cluster.server("n4").isLeader(0)).isFalse();

        List<RaftPeer> target = new ArrayList<>();
        for (String id : replaced.groupMembers(0)) {
            target.add(LogGroups.peer(replaced.node(id), 0));
        }
        String follower = cluster.awaitLeader().equals("n1") ? "n2" : "n1";
        assertThatThrownBy(() -> cluster.server(follower).changeMembers(0, target))
                .as("only the leader changes members: it must take the newcomer's certificate to catch it up")
                .isInstanceOf(NotLeaderOfGroupException.class).hasMessageContaining("its leader is");
        cluster.server(cluster.awaitLeader()).changeMembers(0, target);

        for (String id : List.of("n1", "n2", "n4")) {
            await(id + " sees the new members").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                    .until(() -> cluster.server(id).members(0).stream().map(p -> p.getId().toString()).sorted().toList(),
                            members -> members.equals(List.of("n1", "n2", "n4")));
        }
        commit("after-", 10);
        long leaderApplied = cluster.server(cluster.awaitLeader()).status(0).getAppliedIndex();
        await("n4 caught up").atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> cluster.server("n4").status(0).getAppliedIndex() >= leaderApplied);
        for (String id : List.of("n1", "n2", "n4")) {
            assertThat(cluster.server(id).stateMachine(0).members())
                    .as("%s counts the clocks of the new members only", id).containsExactly("n1", "n2", "n4");
        }

        // n4 is a voter: with n1 down, n2 and n4 are the majority and commit; n4 holds what came before it.
        String stopped = "n1";
        cluster.stop(stopped);
        commit("without-n1-", 10);
        TxnLogClient viaN4 = cluster.newNodeClient("n2");
        for (String tid : List.of("before-0", "before-39", "while-n3-is-away-9", "after-9", "without-n1-9")) {
            TxnState state = viaN4.readVia(tid, "n2").join();
            assertThat(state.getOutcome()).as(tid).isEqualTo(Outcome.COMMIT);
        }
        assertThat(cluster.server("n4").stateMachine(0).localPage("", 1_000).getStatesList())
                .extracting(TxnState::getAttemptId).contains("before-0", "while-n3-is-away-9", "without-n1-9");
    }
}
