package io.dtm.log.state;

import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TxnLogStateTest {
    static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final TxnLogState.Retention ROOMY = new TxnLogState.Retention(1_000, 60_000);
    /**
     * A one-node cluster: its node's readings alone are log time, so these tests set log time by
     * stamping batches. The rule with several members is {@link LogClockTest}'s.
     */
    static final String NODE = "n1";
    static final List<String> ONE_NODE = List.of(NODE);

    private final TxnLogState state = new TxnLogState(ROOMY, ONE_NODE);
    private long now = 1_000;

    private RecordResult apply(TxnRecord record) {
        BatchResult result = state.apply(batch(now).addRecords(record).build(), 1);
        assertThat(result.getResultsCount()).isEqualTo(1);
        return result.getResults(0);
    }

    static TxnRecord commit(String tid) {
        return decide(tid, Outcome.COMMIT, "", "coordinator:n1");
    }

    private static TxnRecord abort(String tid, String reason) {
        return decide(tid, Outcome.ABORT, reason, "coordinator:n1");
    }

    // --- every record in every state ---

    /** A tid's position in its life, and how to bring a fresh table there. */
    enum Start {
        UNKNOWN(),
        IN_FLIGHT(begin("t", FOUR, 9_000)),
        DECIDED_COMMIT(begin("t", FOUR, 9_000), commit("t")),
        DECIDED_ABORT(begin("t", FOUR, 9_000), abort("t", "first")),
        ENDED_COMMIT(begin("t", FOUR, 9_000), commit("t"), end("t")),
        ENDED_ABORT(begin("t", FOUR, 9_000), abort("t", "first"), end("t")),
        ABORTED_WITHOUT_BEGIN(decide("t", Outcome.ABORT, "in doubt", "participant:payment"));

        final TxnRecord[] setup;

        Start(TxnRecord... setup) {
            this.setup = setup;
        }
    }

    enum Rec {
        BEGIN_SAME(begin("t", FOUR, 9_000)),
        BEGIN_OTHER_PARTICIPANTS(begin("t", List.of("payment"), 9_000)),
        DECIDE_COMMIT(decide("t", Outcome.COMMIT, "", "coordinator:n2")),
        DECIDE_ABORT(decide("t", Outcome.ABORT, "second", "participant:order")),
        END(end("t"));

        final TxnRecord record;

        Rec(TxnRecord record) {
            this.record = record;
        }
    }

    static Stream<Arguments> transitions() {
        Disposition A = Disposition.APPLIED;
        Disposition D = Disposition.DUPLICATE;
        Disposition R = Disposition.REFUSED;
        TxnStatus unknown = TxnStatus.UNKNOWN;
        TxnStatus inFlight = TxnStatus.IN_FLIGHT;
        TxnStatus decided = TxnStatus.DECIDED;
        TxnStatus ended = TxnStatus.ENDED;
        Outcome none = Outcome.UNDECIDED;
        Outcome c = Outcome.COMMIT;
        Outcome a = Outcome.ABORT;
        return Stream.of(
                // start, record, disposition, status after, outcome standing after
                Arguments.of(Start.UNKNOWN, Rec.BEGIN_SAME, A, inFlight, none),
                Arguments.of(Start.UNKNOWN, Rec.BEGIN_OTHER_PARTICIPANTS, A, inFlight, none),
                Arguments.of(Start.UNKNOWN, Rec.DECIDE_COMMIT, R, unknown, none),
                Arguments.of(Start.UNKNOWN, Rec.DECIDE_ABORT, A, ended, a),
                Arguments.of(Start.UNKNOWN, Rec.END, R, unknown, none),

                Arguments.of(Start.IN_FLIGHT, Rec.BEGIN_SAME, D, inFlight, none),
                Arguments.of(Start.IN_FLIGHT, Rec.BEGIN_OTHER_PARTICIPANTS, R, inFlight, none),
                Arguments.of(Start.IN_FLIGHT, Rec.DECIDE_COMMIT, A, decided, c),
                Arguments.of(Start.IN_FLIGHT, Rec.DECIDE_ABORT, A, decided, a),
                Arguments.of(Start.IN_FLIGHT, Rec.END, R, inFlight, none),

                Arguments.of(Start.DECIDED_COMMIT, Rec.BEGIN_SAME, D, decided, c),
                Arguments.of(Start.DECIDED_COMMIT, Rec.BEGIN_OTHER_PARTICIPANTS, R, decided, c),
                Arguments.of(Start.DECIDED_COMMIT, Rec.DECIDE_COMMIT, D, decided, c),
                Arguments.of(Start.DECIDED_COMMIT, Rec.DECIDE_ABORT, D, decided, c),
                Arguments.of(Start.DECIDED_COMMIT, Rec.END, A, ended, c),

                Arguments.of(Start.DECIDED_ABORT, Rec.BEGIN_SAME, D, decided, a),
                Arguments.of(Start.DECIDED_ABORT, Rec.BEGIN_OTHER_PARTICIPANTS, R, decided, a),
                Arguments.of(Start.DECIDED_ABORT, Rec.DECIDE_COMMIT, D, decided, a),
                Arguments.of(Start.DECIDED_ABORT, Rec.DECIDE_ABORT, D, decided, a),
                Arguments.of(Start.DECIDED_ABORT, Rec.END, A, ended, a),

                Arguments.of(Start.ENDED_COMMIT, Rec.BEGIN_SAME, D, ended, c),
                Arguments.of(Start.ENDED_COMMIT, Rec.BEGIN_OTHER_PARTICIPANTS, D, ended, c),
                Arguments.of(Start.ENDED_COMMIT, Rec.DECIDE_COMMIT, D, ended, c),
                Arguments.of(Start.ENDED_COMMIT, Rec.DECIDE_ABORT, D, ended, c),
                Arguments.of(Start.ENDED_COMMIT, Rec.END, D, ended, c),

                Arguments.of(Start.ENDED_ABORT, Rec.BEGIN_SAME, D, ended, a),
                Arguments.of(Start.ENDED_ABORT, Rec.BEGIN_OTHER_PARTICIPANTS, D, ended, a),
                Arguments.of(Start.ENDED_ABORT, Rec.DECIDE_COMMIT, D, ended, a),
                Arguments.of(Start.ENDED_ABORT, Rec.DECIDE_ABORT, D, ended, a),
                Arguments.of(Start.ENDED_ABORT, Rec.END, D, ended, a),

                Arguments.of(Start.ABORTED_WITHOUT_BEGIN, Rec.BEGIN_SAME, D, ended, a),
                Arguments.of(Start.ABORTED_WITHOUT_BEGIN, Rec.BEGIN_OTHER_PARTICIPANTS, D, ended, a),
                Arguments.of(Start.ABORTED_WITHOUT_BEGIN, Rec.DECIDE_COMMIT, D, ended, a),
                Arguments.of(Start.ABORTED_WITHOUT_BEGIN, Rec.DECIDE_ABORT, D, ended, a),
                Arguments.of(Start.ABORTED_WITHOUT_BEGIN, Rec.END, D, ended, a));
    }

    @ParameterizedTest(name = "{0} + {1} -> {2}, {3} {4}")
    @MethodSource("transitions")
    void everyRecordInEveryState(Start start, Rec rec, Disposition disposition, TxnStatus status, Outcome outcome) {
        for (TxnRecord r : start.setup) {
            assertThat(apply(r).getDisposition()).as("setup %s", r).isEqualTo(Disposition.APPLIED);
        }
        TxnState before = state.query("t");

        RecordResult result = apply(rec.record);

        assertThat(result.getDisposition()).isEqualTo(disposition);
        assertThat(result.getStatus()).isEqualTo(status);
        assertThat(result.getOutcome()).isEqualTo(outcome);
        TxnState after = state.query("t");
        assertThat(after.getStatus()).isEqualTo(status);
        assertThat(after.getOutcome()).isEqualTo(outcome);
        if (disposition != Disposition.APPLIED) {
            assertThat(after).as("a record that is not applied changes nothing").isEqualTo(before);
            assertThat(result.getDetail()).isNotEmpty();
        }
    }

    @Test
    void theSetupCoversEveryStartingState() {
        // Guards the matrix above: each start really reaches the state its name says.
        for (Start start : Start.values()) {
            TxnLogState fresh = new TxnLogState(ROOMY, ONE_NODE);
            fresh.apply(batch(1).addAllRecords(List.of(start.setup)).build(), 1);
            TxnStatus expected = switch (start) {
                case UNKNOWN -> TxnStatus.UNKNOWN;
                case IN_FLIGHT -> TxnStatus.IN_FLIGHT;
                case DECIDED_COMMIT, DECIDED_ABORT -> TxnStatus.DECIDED;
                case ENDED_COMMIT, ENDED_ABORT, ABORTED_WITHOUT_BEGIN -> TxnStatus.ENDED;
            };
            assertThat(fresh.query("t").getStatus()).as(start.name()).isEqualTo(expected);
        }
    }

    // --- the compare-and-set race ---

    @Nested
    class DecisionRace {
        @Test
        void commitThenAbortKeepsCommitAndTellsTheLoser() {
            apply(begin("t", FOUR, 9_000));
            RecordResult first = apply(commit("t"));
            RecordResult second = apply(decide("t", Outcome.ABORT, "in doubt", "participant:payment"));

            assertThat(first.getDisposition()).isEqualTo(Disposition.APPLIED);
            assertThat(second.getDisposition()).isEqualTo(Disposition.DUPLICATE);
            assertThat(second.getOutcome()).isEqualTo(Outcome.COMMIT);
            assertThat(state.query("t").getProposer()).isEqualTo("coordinator:n1");
        }

        @Test
        void abortThenCommitKeepsAbortWithItsReason() {
            apply(begin("t", FOUR, 9_000));
            apply(decide("t", Outcome.ABORT, "payment: no decision after 30000 ms", "participant:payment"));
            RecordResult late = apply(commit("t"));

            assertThat(late.getDisposition()).isEqualTo(Disposition.DUPLICATE);
            assertThat(late.getOutcome()).isEqualTo(Outcome.ABORT);
            assertThat(late.getReason()).isEqualTo("payment: no decision after 30000 ms");
        }

        @Test
        void bothProposalsInOneBatchTheFirstWins() {
            BatchResult result = state.apply(batch(now)
                    .addRecords(begin("t", FOUR, 9_000))
                    .addRecords(abort("t", "payment: CARD_DECLINED"))
                    .addRecords(commit("t"))
                    .build(), 1);

            assertThat(result.getResults(1).getDisposition()).isEqualTo(Disposition.APPLIED);
            assertThat(result.getResults(2).getDisposition()).isEqualTo(Disposition.DUPLICATE);
            assertThat(result.getResults(2).getOutcome()).isEqualTo(Outcome.ABORT);
        }
    }

    @Test
    void aDeposedCoordinatorsBatchIsRefusedAsAWhole() {
        RecordBatch stale = batch(now).setProposerTerm(2)
                .addRecords(begin("t", FOUR, 9_000)).addRecords(commit("t")).build();

        BatchResult refused = state.apply(stale, 3);

        assertThat(refused.getResultsList()).extracting(RecordResult::getDisposition).containsOnly(Disposition.FENCED);
        assertThat(refused.getResults(0).getDetail()).contains("term 2").contains("term 3");
        assertThat(state.query("t").getStatus()).isEqualTo(TxnStatus.UNKNOWN);
        assertThat(state.apply(stale.toBuilder().setProposerTerm(3).build(), 3).getResultsList())
                .extracting(RecordResult::getDisposition).containsOnly(Disposition.APPLIED);
        RecordBatch unfenced = batch(now)
                .addRecords(decide("u", Outcome.ABORT, "in doubt", "participant:order")).build();
        assertThat(state.apply(unfenced, 3).getResults(0).getDisposition()).as("term 0 is not fenced")
                .isEqualTo(Disposition.APPLIED);
    }

    @Test
    void theSameTidWithAnotherRequestIsRefusedBeforeAndAfterItEnds() {
        assertThat(apply(begin("t", FOUR, 9_000, 7)).getDisposition()).isEqualTo(Disposition.APPLIED);
        RecordResult other = apply(begin("t", FOUR, 9_000, 8));
        assertThat(other.getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(other.getDetail()).contains("different request");
        assertThat(apply(begin("t", FOUR, 9_000, 0)).getDisposition()).as("no digest: not checked")
                .isEqualTo(Disposition.DUPLICATE);

        apply(commit("t"));
        apply(end("t"));

        assertThat(apply(begin("t", FOUR, 9_000, 8)).getDisposition()).isEqualTo(Disposition.REFUSED);
        RecordResult same = apply(begin("t", FOUR, 9_000, 7));
        assertThat(same.getDisposition()).isEqualTo(Disposition.DUPLICATE);
        assertThat(same.getOutcome()).isEqualTo(Outcome.COMMIT);
        assertThat(state.query("t").getRequestDigest()).isEqualTo(7);
    }

    @Test
    void anAbortThatCameBeforeItsBeginTakesTheBeginsDigest() {
        apply(abort("early", "inventory: LOCKED"));
        assertThat(apply(begin("early", FOUR, 9_000, 7)).getDisposition()).isEqualTo(Disposition.DUPLICATE);

        assertThat(apply(begin("early", FOUR, 9_000, 8)).getDisposition()).as("another request now")
                .isEqualTo(Disposition.REFUSED);
        assertThat(state.query("early").getRequestDigest()).isEqualTo(7);
    }

    @Test
    void malformedRecordsAreRefusedAndChangeNothing() {
        assertThat(apply(TxnRecord.getDefaultInstance()).getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(apply(begin("", FOUR, 1)).getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(apply(begin("t", List.of(), 1)).getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(apply(decide("t", Outcome.UNDECIDED, "", "x")).getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(apply(decide("", Outcome.ABORT, "", "x")).getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(state.inFlightCount()).isZero();
        assertThat(state.retainedCount()).isZero();
    }

    @Test
    void queryOfADecidedTransactionCarriesEverything() {
        apply(begin("t", FOUR, 9_000));
        apply(abort("t", "inventory: INSUFFICIENT_STOCK"));

        TxnState s = state.query("t");
        assertThat(s.getStatus()).isEqualTo(TxnStatus.DECIDED);
        assertThat(s.getParticipantsList()).containsExactlyElementsOf(FOUR);
        assertThat(s.getDeadlineMs()).isEqualTo(9_000);
        assertThat(s.getReason()).isEqualTo("inventory: INSUFFICIENT_STOCK");
        assertThat(s.getProposer()).isEqualTo("coordinator:n1");
        assertThat(state.inFlightTransactions()).extracting(TxnState::getAttemptId).containsExactly("t");
    }

    @Test
    void pagesListInFlightAndEndedTransactionsInIdOrder() {
        apply(begin("b", FOUR, 9_000));
        apply(begin("c", FOUR, 9_000));
        apply(commit("c"));
        apply(end("c"));
        apply(begin("a", FOUR, 9_000));
        apply(abort("a", "payment: CARD_DECLINED"));

        TxnLogState.Page first = state.page("", 2);
        assertThat(first.states()).extracting(TxnState::getAttemptId, TxnState::getOutcome)
                .containsExactly(tuple("a", Outcome.ABORT), tuple("b", Outcome.UNDECIDED));
        assertThat(first.next()).isEqualTo("b");
        TxnLogState.Page second = state.page(first.next(), 2);
        assertThat(second.states()).extracting(TxnState::getAttemptId, TxnState::getStatus, TxnState::getOutcome)
                .containsExactly(tuple("c", TxnStatus.ENDED, Outcome.COMMIT));
        assertThat(second.next()).isEmpty();
    }

    // --- replays ---

    @Test
    void replayingTheSameBatchChangesNothing() throws IOException {
        RecordBatch batch = batch(now)
                .addRecords(begin("a", FOUR, 9_000))
                .addRecords(begin("b", FOUR, 9_000))
                .addRecords(commit("a"))
                .addRecords(abort("b", "order: DUPLICATE_ORDER"))
                .addRecords(end("a"))
                .build();
        BatchResult first = state.apply(batch, 1);
        byte[] afterFirst = snapshotBytes(state);

        BatchResult replay = state.apply(batch, 1);

        assertThat(first.getResultsList()).extracting(RecordResult::getDisposition).containsOnly(Disposition.APPLIED);
        assertThat(replay.getResultsList()).extracting(RecordResult::getDisposition)
                .doesNotContain(Disposition.APPLIED);
        assertThat(snapshotBytes(state)).isEqualTo(afterFirst);
        assertThat(state.query("a").getOutcome()).isEqualTo(Outcome.COMMIT);
        assertThat(state.query("b").getOutcome()).isEqualTo(Outcome.ABORT);
    }

    @Test
    void replicasApplyingTheSameEntriesEndIdentical() throws IOException {
        List<RecordBatch> entries = randomHistory(new Random(42), 300);
        TxnLogState replica1 = new TxnLogState(new TxnLogState.Retention(50, 5_000), ONE_NODE);
        TxnLogState replica2 = new TxnLogState(new TxnLogState.Retention(50, 5_000), ONE_NODE);
        List<BatchResult> results1 = new ArrayList<>();
        List<BatchResult> results2 = new ArrayList<>();
        for (RecordBatch e : entries) {
            results1.add(replica1.apply(e, 1));
        }
        for (RecordBatch e : entries) {
            results2.add(replica2.apply(e, 1));
        }
        assertThat(results2).isEqualTo(results1);
        assertThat(snapshotBytes(replica2)).isEqualTo(snapshotBytes(replica1));
    }

    /** Random Begin/Decide/End traffic over a small tid space, with log time moving forward. */
    static List<RecordBatch> randomHistory(Random random, int batches) {
        List<RecordBatch> out = new ArrayList<>();
        long time = 0;
        for (int b = 0; b < batches; b++) {
            time += random.nextInt(100);
            RecordBatch.Builder batch = batch(time);
            for (int r = random.nextInt(8); r >= 0; r--) {
                String tid = "t" + random.nextInt(80);
                batch.addRecords(switch (random.nextInt(4)) {
                    case 0 -> begin(tid, FOUR.subList(0, 1 + random.nextInt(4)), time + 1_000, random.nextInt(3));
                    case 1 -> commit(tid);
                    case 2 -> decide(tid, Outcome.ABORT, "r" + random.nextInt(3), "participant:order");
                    default -> end(tid);
                });
            }
            out.add(batch.build());
        }
        return out;
    }

    // --- snapshots ---

    @Test
    void snapshotRoundTripKeepsEveryTransactionAndTheEvictionOrder() throws IOException {
        TxnLogState original = new TxnLogState(new TxnLogState.Retention(40, 1_000_000), ONE_NODE);
        for (RecordBatch e : randomHistory(new Random(7), 200)) {
            original.apply(e, 1);
        }
        assertThat(original.inFlightCount()).isPositive();
        assertThat(original.retainedCount()).isPositive();

        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(snapshotBytes(original)),
                original.retention(), ONE_NODE);

        assertThat(snapshotBytes(restored)).isEqualTo(snapshotBytes(original));
        for (int i = 0; i < 80; i++) {
            assertThat(restored.query("t" + i)).isEqualTo(original.query("t" + i));
        }
        // The same next entries give the same results: eviction order and clock survived.
        for (RecordBatch e : randomHistory(new Random(8), 50)) {
            assertThat(restored.apply(e, 1)).isEqualTo(original.apply(e, 1));
        }
    }

    @Test
    void truncatedOrForeignSnapshotsAreRefused() throws IOException {
        apply(begin("t", FOUR, 9_000));
        apply(commit("t"));
        byte[] bytes = snapshotBytes(state);

        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 3);
        assertThatThrownBy(() -> SnapshotFormat.read(new ByteArrayInputStream(truncated), ROOMY, ONE_NODE))
                .isInstanceOf(IOException.class);
        byte[] trailing = java.util.Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> SnapshotFormat.read(new ByteArrayInputStream(trailing), ROOMY, ONE_NODE))
                .hasMessageContaining("trailing");
        assertThatThrownBy(() -> SnapshotFormat.read(new ByteArrayInputStream(new byte[0]), ROOMY, ONE_NODE))
                .hasMessageContaining("empty");
    }

    /** A batch sealed by {@link #NODE} at {@code atMs}, by one process whose monotonic clock reads the same. */
    static RecordBatch.Builder batch(long atMs) {
        return RecordBatch.newBuilder().setTimestampMs(atMs).setUptimeMs(atMs).setProcessId(1).setNodeId(NODE);
    }

    static byte[] snapshotBytes(TxnLogState s) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotFormat.write(s, out);
        return out.toByteArray();
    }
}
