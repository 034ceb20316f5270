package io.dtm.log;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnState;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static org.assertj.core.api.Assertions.assertThat;

/** Transactions the log cluster tests begin and decide as a coordinator would, and check back. */
final class ClusterRecords {
    static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");

    private ClusterRecords() {
    }

    /** The outcome tid number {@code i} is decided with: every third aborts. */
    static Outcome expectedOutcome(int i) {
        return i % 3 == 0 ? Outcome.ABORT : Outcome.COMMIT;
    }

    /** Begins and decides tids {@code prefix0..prefix(n-1)}, all at once, through their groups' leaders; returns when all are applied. */
    static void beginAndDecide(LocalLogCluster cluster, String prefix, int n) {
        List<CompletableFuture<RecordResult>> begins = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            begins.add(cluster.appendAsLeader(begin(prefix + i, FOUR, Long.MAX_VALUE)));
        }
        begins.forEach(f -> assertThat(f.join().getDisposition()).isEqualTo(Disposition.APPLIED));
        List<CompletableFuture<RecordResult>> decides = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            decides.add(cluster.appendAsLeader(decide(prefix + i, expectedOutcome(i), "reason " + i, "coordinator:test")));
        }
        for (int i = 0; i < n; i++) {
            RecordResult r = decides.get(i).join();
            assertThat(r.getDisposition()).as(prefix + i).isEqualTo(Disposition.APPLIED);
            assertThat(r.getOutcome()).as(prefix + i).isEqualTo(expectedOutcome(i));
        }
    }

    /** Reads tids {@code prefix0..prefix(n-1)} through node {@code via} (null: their groups' leaders) and checks their outcomes. */
    static void assertOutcomes(TxnLogClient client, String via, String prefix, int n) {
        List<CompletableFuture<TxnState>> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reads.add(via == null ? client.read(prefix + i) : client.readVia(prefix + i, via));
        }
        for (int i = 0; i < n; i++) {
            assertThat(reads.get(i).join().getOutcome()).as("%s%d via %s", prefix, i, via).isEqualTo(expectedOutcome(i));
        }
    }
}
