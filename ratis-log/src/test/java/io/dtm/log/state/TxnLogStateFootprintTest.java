package io.dtm.log.state;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;

import java.util.List;

import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the log's table costs per transaction on the heap, measured exactly (object graph walk, JOL)
 * for tids like {@code order-000042} (12 characters) and four participants. The numbers are in the
 * docs/ARCHITECTURE.md ("Log state and numbers"); the bounds here catch a change that bloats the table (e.g. keeping whole records).
 */
class TxnLogStateFootprintTest {
    private static final int N = 20_000;
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final List<String> NODES = List.of("n1", "n2", "n3");

    private static long bytes(TxnLogState state) {
        return GraphLayout.parseInstance(state).totalSize();
    }

    private static String tid(int i) {
        return String.format("order-%06d", i);
    }

    private static void apply(TxnLogState state, io.dtm.protocol.log.TxnRecord... records) {
        state.apply(RecordBatch.newBuilder().setTimestampMs(1).setNodeId("n1").addAllRecords(List.of(records))
                .build(), 1);
    }

    @Test
    void bytesPerTransactionInFlightDecidedAndRetained() {
        TxnLogState.Retention retention = new TxnLogState.Retention(N, 3_600_000);
        TxnLogState inFlight = new TxnLogState(retention, NODES);
        TxnLogState decided = new TxnLogState(retention, NODES);
        TxnLogState retained = new TxnLogState(retention, NODES);
        long empty = bytes(new TxnLogState(retention, NODES));
        for (int i = 0; i < N; i++) {
            apply(inFlight, begin(tid(i), FOUR, 1_000));
            apply(decided, begin(tid(i), FOUR, 1_000), decide(tid(i), Outcome.COMMIT, "", "coordinator:n1"));
            apply(retained, begin(tid(i), FOUR, 1_000), decide(tid(i), Outcome.COMMIT, "", "coordinator:n1"), end(tid(i)));
        }
        double perInFlight = (bytes(inFlight) - empty) / (double) N;
        double perDecided = (bytes(decided) - empty) / (double) N;
        double perRetained = (bytes(retained) - empty) / (double) N;
        System.out.printf("log table bytes per transaction: in flight %.0f, decided %.0f, retained outcome %.0f%n",
                perInFlight, perDecided, perRetained);

        assertThat(perInFlight).isLessThan(200);
        assertThat(perDecided).isLessThan(200);
        assertThat(perRetained).isLessThan(160);
    }

    /** What remembering a forgotten id costs: its fingerprint in the ring and in the hash set. */
    @Test
    void bytesPerForgottenId() {
        int n = 200_000;
        ForgottenIds ids = new ForgottenIds(n);
        long empty = GraphLayout.parseInstance(new ForgottenIds(n)).totalSize();
        for (int i = 0; i < n; i++) {
            ids.add(tid(i) + "#1");
        }
        double perId = (GraphLayout.parseInstance(ids).totalSize() - empty) / (double) n;
        System.out.printf("log bytes per forgotten id: %.1f%n", perId);

        assertThat(ids.size()).isEqualTo(n);
        assertThat(perId).as("a 64-bit fingerprint twice (ring, set), not the id").isLessThan(32);
    }
}
