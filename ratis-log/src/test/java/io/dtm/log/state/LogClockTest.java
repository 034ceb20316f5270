package io.dtm.log.state;

import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.SnapshotEntry;
import io.dtm.protocol.log.SnapshotHeader;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.stream.IntStream;

import static io.dtm.log.state.TxnLogStateTest.snapshotBytes;
import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Log time, and so retention by age, from the members' clocks: a minority of skewed clocks, ahead
 * or behind, cannot move it; it never runs backwards; it survives a snapshot.
 */
class LogClockTest {
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final List<String> THREE_NODES = List.of("n1", "n2", "n3");
    private static final long MINUTE = 60_000;
    private static final long FIVE_HOURS = 5 * 3_600_000L;
    /** An epoch time, as real clocks give: readings five hours behind it stay positive. */
    private static final long T0 = 1_700_000_000_000L;
    private static final TxnLogState.Retention ONE_MINUTE = new TxnLogState.Retention(1_000, MINUTE);

    private final TxnLogState state = new TxnLogState(ONE_MINUTE, THREE_NODES);

    private static RecordBatch sealed(String nodeId, long atMs, TxnRecord... records) {
        return RecordBatch.newBuilder().setNodeId(nodeId).setTimestampMs(atMs).addAllRecords(List.of(records)).build();
    }

    /** A clock-only batch, as every node appends periodically. */
    private static void report(TxnLogState s, String nodeId, long atMs) {
        s.apply(sealed(nodeId, atMs), 1);
    }

    private void report(String nodeId, long atMs) {
        report(state, nodeId, atMs);
    }

    /** Begins, commits and ends {@code tid} in one batch sealed by {@code nodeId}. */
    private void finish(String nodeId, long atMs, String tid) {
        state.apply(sealed(nodeId, atMs, begin(tid, FOUR, atMs + 1_000),
                decide(tid, Outcome.COMMIT, "", "coordinator:" + nodeId), end(tid)), 1);
    }

    private TxnStatus status(String tid) {
        return state.query(tid).getStatus();
    }

    @Test
    void oneMemberHoursAheadDoesNotEvictAnOutcomeTheOtherTwoSayIsYoung() {
        report("n1", T0);
        report("n2", T0);
        report("n3", T0);
        finish("n1", T0, "young");

        // n3 now leads with a clock five hours fast: its batches of records carry that reading.
        finish("n3", T0 + FIVE_HOURS, "other");
        report("n1", T0 + 10_000);
        report("n2", T0 + 10_000);

        assertThat(status("young")).isEqualTo(TxnStatus.ENDED);
        assertThat(state.clockMs()).isEqualTo(T0 + 10_000);
        // Nor does it keep outcomes too long: the other two clocks still age them out.
        report("n1", T0 + 2 * MINUTE);
        report("n2", T0 + 2 * MINUTE);
        assertThat(status("young")).isEqualTo(TxnStatus.FORGOTTEN);
    }

    @Test
    void oneMemberFarBehindDoesNotStopEvictionByAgeOnceTheOtherTwoAdvance() {
        report("n1", T0);
        report("n2", T0);
        report("n3", T0 - FIVE_HOURS);
        finish("n1", T0, "old");

        report("n1", T0 + 2 * MINUTE);
        assertThat(status("old")).as("one clock alone (of T0 + 2 min, T0, T0 - 5 h) moves nothing")
                .isEqualTo(TxnStatus.ENDED);

        report("n3", T0 - FIVE_HOURS + 2 * MINUTE);
        report("n2", T0 + 2 * MINUTE);
        assertThat(status("old")).as("two of three clocks say it ended two minutes ago")
                .isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(state.clockMs()).isEqualTo(T0 + 2 * MINUTE);
    }

    @Test
    void logTimeIsTheLargestMiddleReadingSoFarAndNeverMovesBackwards() {
        report("n1", T0);
        assertThat(state.clockMs()).as("one reading of three is no majority").isZero();
        report("n2", T0 + 1_000);
        assertThat(state.clockMs()).as("of two readings, the lower is what a majority reached").isEqualTo(T0);
        report("n3", T0 + FIVE_HOURS);
        assertThat(state.clockMs()).as("the middle of T0, T0 + 1 s, T0 + 5 h").isEqualTo(T0 + 1_000);

        // Two clocks set back hours: the middle reading drops, log time does not.
        report("n1", T0 - FIVE_HOURS);
        report("n2", T0 - FIVE_HOURS);
        assertThat(state.clockMs()).isEqualTo(T0 + 1_000);
        finish("n1", T0 - FIVE_HOURS, "late");

        report("n1", T0 + 1_000 + MINUTE);
        report("n2", T0 + 1_000 + MINUTE);
        assertThat(status("late")).as("ended at log time T0 + 1 s, a minute ago, not at its batch's stamp")
                .isEqualTo(TxnStatus.ENDED);
        report("n1", T0 + 1_001 + MINUTE);
        report("n2", T0 + 1_001 + MINUTE);
        assertThat(status("late")).isEqualTo(TxnStatus.FORGOTTEN);
    }

    @Test
    void readingsOfNonMembersAreIgnoredAndTheirRecordsApplied() {
        report("n1", T0);
        report("n2", T0);
        report("n3", T0);
        finish("n1", T0, "young");

        BatchResult fromATool = state.apply(sealed("", T0 + FIVE_HOURS,
                decide("aborted", Outcome.ABORT, "in doubt", "participant:payment")), 1);
        report("n9", T0 + FIVE_HOURS);

        assertThat(fromATool.getResults(0).getDisposition()).isEqualTo(Disposition.APPLIED);
        assertThat(state.clockMs()).isEqualTo(T0);
        assertThat(state.memberClocks()).containsOnlyKeys("n1", "n2", "n3");
        assertThat(status("young")).isEqualTo(TxnStatus.ENDED);
    }

    @ParameterizedTest(name = "{0} members")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void fewerThanHalfTheMembersCannotMoveLogTimeEitherWay(int n) {
        List<String> members = IntStream.rangeClosed(1, n).mapToObj(i -> "n" + i).toList();
        TxnLogState s = new TxnLogState(ONE_MINUTE, members);
        int skewed = (n - 1) / 2;

        for (int i = 0; i < n; i++) {
            report(s, members.get(i), i < skewed ? T0 + FIVE_HOURS : T0);
        }
        assertThat(s.clockMs()).as("%d of %d hours ahead", skewed, n).isEqualTo(T0);

        for (int i = 0; i < n; i++) {
            report(s, members.get(i), i < skewed ? T0 - FIVE_HOURS : T0 + MINUTE);
        }
        assertThat(s.clockMs()).as("%d of %d hours behind", skewed, n).isEqualTo(T0 + MINUTE);
    }

    @Test
    void anOutcomeEndedBeforeAMajorityReportedIsKeptForTheWholeWindow() {
        finish("n1", T0, "early");
        assertThat(state.clockMs()).as("only n1 has reported").isZero();

        report("n2", T0);
        assertThat(status("early")).as("counted as ended at the first log time, not at 0").isEqualTo(TxnStatus.ENDED);
        report("n1", T0 + MINUTE);
        report("n2", T0 + MINUTE);
        assertThat(status("early")).isEqualTo(TxnStatus.ENDED);
        report("n1", T0 + MINUTE + 1);
        report("n2", T0 + MINUTE + 1);
        assertThat(status("early")).isEqualTo(TxnStatus.FORGOTTEN);
    }

    @Test
    void aSnapshotKeepsTheReadingsSoARestoredReplicaKeepsTheSameTime() throws IOException {
        report("n1", T0 + 2 * MINUTE);
        report("n2", T0);
        finish("n2", T0, "young");

        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(snapshotBytes(state)), ONE_MINUTE,
                THREE_NODES);

        assertThat(restored.memberClocks()).isEqualTo(state.memberClocks()).containsOnlyKeys("n1", "n2");
        assertThat(restored.clockMs()).isEqualTo(T0);
        // n3's first reading makes the middle one n1's: two minutes on, on both replicas alike.
        RecordBatch fromN3 = sealed("n3", T0 + 3 * MINUTE);
        assertThat(restored.apply(fromN3, 1)).isEqualTo(state.apply(fromN3, 1));
        assertThat(restored.clockMs()).isEqualTo(state.clockMs()).isEqualTo(T0 + 2 * MINUTE);
        assertThat(restored.query("young").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(snapshotBytes(restored)).isEqualTo(snapshotBytes(state));
    }

    @Test
    void aSnapshotOfTheFormatWithoutReadingsStillLoads() throws IOException {
        ByteArrayOutputStream formatOne = new ByteArrayOutputStream();
        SnapshotHeader.newBuilder().setFormatVersion(1).setClockMs(T0).setRetainedCount(1).build()
                .writeDelimitedTo(formatOne);
        SnapshotEntry.newBuilder().setAttemptId("kept").setOutcome(Outcome.COMMIT).setProposer("coordinator:n1")
                .setEndedAtMs(T0 - 1_000).setRequestDigest(7).build().writeDelimitedTo(formatOne);

        TxnLogState loaded = SnapshotFormat.read(new ByteArrayInputStream(formatOne.toByteArray()), ONE_MINUTE,
                THREE_NODES);

        assertThat(loaded.clockMs()).isEqualTo(T0);
        assertThat(loaded.memberClocks()).isEmpty();
        assertThat(loaded.query("kept").getOutcome()).isEqualTo(Outcome.COMMIT);
        // The readings come with the next batches; one member, however far ahead, is no majority.
        loaded.apply(sealed("n3", T0 + FIVE_HOURS), 1);
        assertThat(loaded.clockMs()).isEqualTo(T0);
        assertThat(loaded.query("kept").getStatus()).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void membersMustBeDistinctNonEmptyIds() {
        assertThatThrownBy(() -> new TxnLogState(ONE_MINUTE, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TxnLogState(ONE_MINUTE, List.of("n1", "n1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TxnLogState(ONE_MINUTE, List.of("n1", "")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
