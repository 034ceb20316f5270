package io.dtm.bench.jmh;

import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The log's state machine ({@link TxnLogState}) applying the whole life of 64 transactions: a batch
 * of their 64 Begins, one of their 64 COMMIT Decides, one of their 64 Ends, as group commit would
 * carry them in three Raft entries. One operation is the three batches.
 *
 * <p>Every operation uses transaction ids the table does not hold: the records of
 * {@value #ROUNDS} rounds are built up front and cycled, and the table retains the outcomes of half a
 * cycle only, so a round's ids have been evicted before they come again. The setup applies one
 * whole cycle first, so measurement starts in the steady state of a busy log: outcome retention is
 * full and each End evicts the oldest outcome. Setup and tear-down check that every record applies.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class TxnLogStateBenchmark {

    /** Transactions per operation. */
    static final int TRANSACTIONS = 64;
    /** Distinct sets of ids cycled through. */
    static final int ROUNDS = 512;
    /** Half a cycle's transactions: every id is evicted long before its round comes again. */
    static final TxnLogState.Retention RETENTION = new TxnLogState.Retention(ROUNDS * TRANSACTIONS / 2, 3_600_000);

    private static final long TERM = 3;
    private static final long TIMESTAMP_MS = 1_767_225_600_000L;
    /** The cluster; the leader n1 seals the measured batches, so each one moves its clock reading. */
    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final List<String> PARTICIPANTS = List.of("inventory", "payment", "order", "shipping");

    private RecordBatch[] begins;
    private RecordBatch[] decides;
    private RecordBatch[] ends;
    private TxnLogState state;
    private int round;

    @Setup
    public void setUp() {
        begins = new RecordBatch[ROUNDS];
        decides = new RecordBatch[ROUNDS];
        ends = new RecordBatch[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            RecordBatch.Builder begin = batch();
            RecordBatch.Builder decide = batch();
            RecordBatch.Builder end = batch();
            for (int t = 0; t < TRANSACTIONS; t++) {
                long n = (long) r * TRANSACTIONS + t;
                String tid = String.format("bench-m3x9k2-%06d#1", n);
                begin.addRecords(LogRecords.begin(tid, PARTICIPANTS, TIMESTAMP_MS + 30_000, digest(n)));
                decide.addRecords(LogRecords.decide(tid, Outcome.COMMIT, "", "coordinator:n1"));
                end.addRecords(LogRecords.end(tid));
            }
            begins[r] = begin.build();
            decides[r] = decide.build();
            ends[r] = end.build();
        }
        state = new TxnLogState(RETENTION, NODES);
        // The followers' clock reports, as in a running cluster: log time is known from the start.
        for (String follower : NODES.subList(1, NODES.size())) {
            state.apply(RecordBatch.newBuilder().setTimestampMs(TIMESTAMP_MS).setNodeId(follower).build(), TERM);
        }
        for (int r = 0; r < ROUNDS; r++) {
            requireApplied(r);
        }
        if (state.retainedCount() != RETENTION.maxOutcomes() || state.inFlightCount() != 0) {
            throw new IllegalStateException("not in the steady state: " + state.inFlightCount() + " in flight, "
                    + state.retainedCount() + " retained");
        }
    }

    /** The round after the measured ones must still be fresh: no measured operation hit a known id. */
    @TearDown
    public void checkIdsStayedFresh() {
        requireApplied(round);
    }

    @Benchmark
    public void beginDecideEnd(Blackhole results) {
        int r = round;
        round = (r + 1) % ROUNDS;
        results.consume(state.apply(begins[r], TERM));
        results.consume(state.apply(decides[r], TERM));
        results.consume(state.apply(ends[r], TERM));
    }

    private void requireApplied(int r) {
        for (RecordBatch batch : new RecordBatch[] {begins[r], decides[r], ends[r]}) {
            BatchResult result = state.apply(batch, TERM);
            for (RecordResult record : result.getResultsList()) {
                if (record.getDisposition() != RecordResult.Disposition.APPLIED) {
                    throw new IllegalStateException("round " + r + ": a record was not applied: " + record);
                }
            }
        }
        round = (r + 1) % ROUNDS;
    }

    private static RecordBatch.Builder batch() {
        return RecordBatch.newBuilder().setTimestampMs(TIMESTAMP_MS).setNodeId(NODES.get(0)).setProposerTerm(TERM);
    }

    /** Never 0, which the log reads as "no digest". */
    private static long digest(long n) {
        return (n + 1) * 0x9E3779B97F4A7C15L | 1;
    }
}
