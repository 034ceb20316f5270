package io.dtm.log.state;

import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.MemberClock;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.SnapshotEntry;
import io.dtm.protocol.log.SnapshotHeader;
import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.dtm.log.state.TxnLogStateTest.snapshotBytes;
import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Log time, and so retention by age, from the members' clocks: it starts where a majority of wall
 * clocks are, then moves by the members' monotonic clocks only, so no wall clock — skewed, stepped,
 * or stale — makes it run faster than true time. {@link LogClockPropertyTest} tries random
 * histories of restarts, skews, reorderings and outages.
 */
class LogClockTest {
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final List<String> THREE_NODES = List.of("n1", "n2", "n3");
    private static final long MINUTE = 60_000;
    /** Every node reports its clock this often. */
    private static final long REPORT_MS = 2_000;
    private static final long FIVE_HOURS = 5 * 3_600_000L;
    /** An epoch time, as real clocks give: readings five hours behind it stay positive. */
    private static final long T0 = 1_700_000_000_000L;
    private static final TxnLogState.Retention ONE_MINUTE = new TxnLogState.Retention(1_000, MINUTE);

    private final TxnLogState state = new TxnLogState(ONE_MINUTE, THREE_NODES);
    /** True time, in ms since T0. */
    private long now;
    private final Map<String, Process> processes = new HashMap<>();
    private long nextProcessId = 1;

    /** A node's running process: its wall clock {@code offsetMs} off true time, its monotonic one from {@code startedAt}. */
    private record Process(String nodeId, long id, long offsetMs, long startedAt) {
        RecordBatch.Builder seal(long trueTime) {
            return RecordBatch.newBuilder().setNodeId(nodeId).setTimestampMs(T0 + trueTime + offsetMs)
                    .setUptimeMs(trueTime - startedAt).setProcessId(id);
        }
    }

    /** Starts (or restarts) {@code nodeId}'s process with its wall clock {@code offsetMs} off. */
    private void start(String nodeId, long offsetMs) {
        processes.put(nodeId, new Process(nodeId, nextProcessId++, offsetMs, now));
    }

    private void startAll() {
        THREE_NODES.forEach(n -> start(n, 0));
    }

    private void report(String nodeId) {
        state.apply(processes.get(nodeId).seal(now).build(), 1);
    }

    private void reportAll() {
        THREE_NODES.forEach(this::report);
    }

    /** {@code ms} of true time pass in steps of a report interval; each of {@code reporting} reports at every step. */
    private void elapse(long ms, String... reporting) {
        for (long left = ms; left > 0; left -= REPORT_MS) {
            now += Math.min(REPORT_MS, left);
            for (String node : reporting) {
                report(node);
            }
        }
    }

    /** Begins, commits and ends {@code tid} in one batch sealed by {@code nodeId}. */
    private void finish(String nodeId, String tid) {
        state.apply(processes.get(nodeId).seal(now).addRecords(begin(tid, FOUR, T0 + now + 1_000))
                .addRecords(decide(tid, Outcome.COMMIT, "", "coordinator:" + nodeId)).addRecords(end(tid)).build(), 1);
    }

    private TxnStatus status(String tid) {
        return state.query(tid).getStatus();
    }

    @Test
    void aStaleReadingOfAClockSetRightAndAnotherNodeGoingWrongDoNotForgetAnything() {
        // The clock-skew scenario's failure in CI: n3 ran hours ahead and was restarted on the right
        // clock; before it reported again, n1 restarted hours ahead. Two of three latest wall
        // readings were hours ahead, and the median rule forgot every outcome.
        startAll();
        reportAll();
        finish("n2", "young");
        now += 1_000;
        start("n3", FIVE_HOURS);
        report("n3");
        now += 2_000;
        start("n3", 0); // set right; its next report is late
        now += 2_000;
        start("n1", FIVE_HOURS);
        report("n1");
        report("n2");

        assertThat(status("young")).isEqualTo(TxnStatus.ENDED);
        assertThat(state.clockMs()).as("the restarted nodes count from log time").isEqualTo(T0);
        now += 2_000;
        reportAll();
        assertThat(state.clockMs()).isEqualTo(T0 + 2_000);
    }

    @Test
    void oneMemberHoursAheadFromTheStartNeitherEvictsEarlyNorKeepsTooLong() {
        start("n1", 0);
        start("n2", 0);
        start("n3", FIVE_HOURS);
        reportAll();
        assertThat(state.clockMs()).as("the middle of T0, T0, T0 + 5 h").isEqualTo(T0);
        finish("n3", "young"); // n3 leads, with its clock five hours fast

        elapse(10_000, "n1", "n2", "n3");
        finish("n3", "other");
        assertThat(status("young")).isEqualTo(TxnStatus.ENDED);
        assertThat(state.clockMs()).isEqualTo(T0 + 10_000);

        elapse(MINUTE, "n1", "n2", "n3");
        assertThat(status("young")).isEqualTo(TxnStatus.FORGOTTEN);
    }

    @Test
    void aClockSteppedWhileItsProcessRunsMovesNothing() {
        startAll();
        reportAll();
        finish("n1", "young");
        // The wall clocks of two nodes step hours ahead, the processes keep running.
        processes.put("n1", new Process("n1", processes.get("n1").id(), FIVE_HOURS, processes.get("n1").startedAt()));
        processes.put("n2", new Process("n2", processes.get("n2").id(), FIVE_HOURS, processes.get("n2").startedAt()));
        now += 3_000;
        reportAll();

        assertThat(state.clockMs()).isEqualTo(T0 + 3_000);
        assertThat(status("young")).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void aReadingAppliedAfterALaterOneOfTheSameProcessAddsNothing() {
        startAll();
        reportAll();
        // Clock reports of two nodes that reach the log after later batches of the same processes.
        RecordBatch lateFromN1 = processes.get("n1").seal(now + 1_000).build();
        RecordBatch lateFromN2 = processes.get("n2").seal(now + 1_000).build();
        now += 2_000;
        reportAll();
        state.apply(lateFromN1, 1);
        state.apply(lateFromN2, 1);
        now += 1_000;
        reportAll();

        assertThat(state.clockMs()).as("3 s passed, counted once").isEqualTo(T0 + 3_000);
    }

    @Test
    void aRestartedMemberCountsFromLogTimeNotFromItsOldProcess() {
        startAll();
        reportAll();
        elapse(30_000, "n1", "n2"); // n3 is down: the other two move log time
        assertThat(state.clockMs()).isEqualTo(T0 + 30_000);

        start("n3", 0);
        now += 1_000;
        reportAll();
        assertThat(state.clockMs()).isEqualTo(T0 + 31_000);
        now += 1_000;
        report("n3");
        report("n1");
        assertThat(state.clockMs()).as("n1 and n3 both counted the last second").isEqualTo(T0 + 32_000);
    }

    @Test
    void twoNodesPausedForAnHourDoNotBringTheHourBackAtOnce() {
        // n1 and n2 stop (SIGSTOP) for an hour; n3 crashes and restarts. Their monotonic clocks ran
        // on: each counts the hour when it resumes, but no member may be more than MAX_AHEAD_MS ahead
        // of log time, so the second one's hour does not move log time by an hour in one step.
        startAll();
        reportAll();
        now += 60 * MINUTE;
        start("n3", 0);
        report("n3");
        report("n1"); // resumed: n1 and n3 run, a majority again
        finish("n3", "after");
        elapse(10_000, "n1", "n3");
        report("n2"); // resumed too

        assertThat(state.clockMs() - T0).as("the 10 s since a majority came back, and at most MAX_AHEAD_MS more")
                .isBetween(10_000L, 10_000 + LogClock.MAX_AHEAD_MS);
        assertThat(status("after")).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void timeWithNoMajorityRunningIsNotCountedSoOutcomesAreKeptLongerNeverShorter() {
        startAll();
        reportAll();
        finish("n1", "kept");
        now += 10 * MINUTE; // every node down, and back
        startAll();
        reportAll();
        now += 1_000;
        reportAll();

        assertThat(state.clockMs()).isEqualTo(T0 + 1_000);
        assertThat(status("kept")).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void readingsWithoutMonotonicPartsStartLogTimeButNeverMoveIt() {
        for (String node : THREE_NODES) {
            state.apply(RecordBatch.newBuilder().setNodeId(node).setTimestampMs(T0).build(), 1);
        }
        assertThat(state.clockMs()).isEqualTo(T0);
        for (String node : THREE_NODES) {
            state.apply(RecordBatch.newBuilder().setNodeId(node).setTimestampMs(T0 + FIVE_HOURS).build(), 1);
            state.apply(RecordBatch.newBuilder().setNodeId(node).setTimestampMs(T0 + FIVE_HOURS).setUptimeMs(9)
                    .build(), 1); // no process id: the uptime counts from nothing known
        }
        assertThat(state.clockMs()).isEqualTo(T0);
    }

    @Test
    void readingsOfNonMembersAreIgnoredAndTheirRecordsApplied() {
        startAll();
        reportAll();
        finish("n1", "young");

        BatchResult fromATool = state.apply(RecordBatch.newBuilder().setTimestampMs(T0 + FIVE_HOURS)
                .addRecords(decide("aborted", Outcome.ABORT, "in doubt", "participant:payment")).build(), 1);
        state.apply(RecordBatch.newBuilder().setNodeId("n9").setTimestampMs(T0 + FIVE_HOURS).setUptimeMs(FIVE_HOURS)
                .setProcessId(99).build(), 1);

        assertThat(fromATool.getResults(0).getDisposition()).isEqualTo(Disposition.APPLIED);
        assertThat(state.clockMs()).isEqualTo(T0);
        assertThat(state.memberClocks()).containsOnlyKeys("n1", "n2", "n3");
        assertThat(status("young")).isEqualTo(TxnStatus.ENDED);
    }

    @ParameterizedTest(name = "{0} members")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7})
    void fewerThanHalfTheMembersAheadCannotPlaceTheStartAhead(int n) {
        List<String> members = IntStream.rangeClosed(1, n).mapToObj(i -> "n" + i).toList();
        int skewed = (n - 1) / 2;
        TxnLogState ahead = new TxnLogState(ONE_MINUTE, members);
        for (int i = 0; i < n; i++) {
            long offset = i < skewed ? FIVE_HOURS : 0;
            ahead.apply(RecordBatch.newBuilder().setNodeId(members.get(i)).setTimestampMs(T0 + offset).build(), 1);
        }
        // (Behind, it may start log time early: outcomes are then kept longer, never shorter.)
        assertThat(ahead.clockMs()).as("%d of %d hours ahead", skewed, n).isEqualTo(T0);
    }

    @Test
    void anOutcomeEndedBeforeAMajorityReportedIsKeptForTheWholeWindow() {
        startAll();
        finish("n1", "early");
        assertThat(state.clockMs()).as("only n1 has reported").isZero();

        report("n2");
        assertThat(status("early")).as("counted as ended at the first log time, not at 0").isEqualTo(TxnStatus.ENDED);
        elapse(MINUTE, "n1", "n2");
        assertThat(status("early")).isEqualTo(TxnStatus.ENDED);
        now += 1;
        report("n1");
        report("n2");
        assertThat(status("early")).isEqualTo(TxnStatus.FORGOTTEN);
    }

    @Test
    void aSnapshotKeepsEveryMembersClockSoARestoredReplicaKeepsTheSameTime() throws IOException {
        startAll();
        report("n1");
        report("n2");
        finish("n2", "young");
        elapse(MINUTE, "n1", "n2");
        now += 1;
        report("n1"); // a millisecond on n1 alone moves nothing yet

        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(snapshotBytes(state)), ONE_MINUTE,
                THREE_NODES);

        assertThat(restored.memberClocks()).isEqualTo(state.memberClocks()).containsOnlyKeys("n1", "n2");
        assertThat(restored.clockMs()).isEqualTo(state.clockMs()).isEqualTo(T0 + MINUTE);
        assertThat(restored.query("young").getStatus()).isEqualTo(TxnStatus.ENDED);
        RecordBatch fromN2 = processes.get("n2").seal(now).build();
        assertThat(restored.apply(fromN2, 1)).isEqualTo(state.apply(fromN2, 1));
        assertThat(restored.clockMs()).isEqualTo(state.clockMs()).isEqualTo(T0 + MINUTE + 1);
        assertThat(restored.query("young").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(snapshotBytes(restored)).isEqualTo(snapshotBytes(state));
    }

    @Test
    void aSnapshotOfFormatTwoLoadsAndItsMembersResumeAtLogTime() throws IOException {
        ByteArrayOutputStream formatTwo = new ByteArrayOutputStream();
        SnapshotHeader.newBuilder().setFormatVersion(2).setClockMs(T0).setRetainedCount(1)
                .addMemberClocks(MemberClock.newBuilder().setNodeId("n1").setTimestampMs(T0 + FIVE_HOURS))
                .addMemberClocks(MemberClock.newBuilder().setNodeId("n2").setTimestampMs(T0))
                .build().writeDelimitedTo(formatTwo);
        SnapshotEntry.newBuilder().setAttemptId("kept").setOutcome(Outcome.COMMIT).setProposer("coordinator:n1")
                .setEndedAtMs(T0).setRequestDigest(7).build().writeDelimitedTo(formatTwo);

        TxnLogState loaded = SnapshotFormat.read(new ByteArrayInputStream(formatTwo.toByteArray()), ONE_MINUTE,
                THREE_NODES);

        assertThat(loaded.clockMs()).isEqualTo(T0);
        assertThat(loaded.memberClocks()).containsEntry("n1", T0 + FIVE_HOURS);
        // n1's wall clock five hours ahead counts for nothing; then a minute on two monotonic clocks.
        startAll();
        for (String node : List.of("n1", "n2")) {
            loaded.apply(processes.get(node).seal(now).build(), 1);
        }
        assertThat(loaded.query("kept").getStatus()).isEqualTo(TxnStatus.ENDED);
        for (long left = MINUTE + 1; left > 0; left -= REPORT_MS) {
            now += Math.min(REPORT_MS, left);
            for (String node : List.of("n1", "n2")) {
                loaded.apply(processes.get(node).seal(now).build(), 1);
            }
        }
        assertThat(loaded.clockMs()).isEqualTo(T0 + MINUTE + 1);
        assertThat(loaded.query("kept").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
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
        // One member, however far ahead, moves nothing.
        loaded.apply(RecordBatch.newBuilder().setNodeId("n3").setTimestampMs(T0 + FIVE_HOURS).setUptimeMs(1)
                .setProcessId(1).build(), 1);
        assertThat(loaded.clockMs()).isEqualTo(T0);
        assertThat(loaded.query("kept").getStatus()).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void aSnapshotOfAnUnknownFormatIsRefused() throws IOException {
        ByteArrayOutputStream formatNine = new ByteArrayOutputStream();
        SnapshotHeader.newBuilder().setFormatVersion(9).build().writeDelimitedTo(formatNine);
        assertThatThrownBy(() -> SnapshotFormat.read(new ByteArrayInputStream(formatNine.toByteArray()), ONE_MINUTE,
                THREE_NODES)).hasMessageContaining("format 9 is not supported");
    }

    @Test
    void membersMustBeDistinctNonEmptyIds() {
        assertThatThrownBy(() -> new TxnLogState(ONE_MINUTE, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TxnLogState(ONE_MINUTE, List.of("n1", "n1")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TxnLogState(ONE_MINUTE, List.of("n1", "")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aReplacedMemberStopsCountingAndItsReplacementCountsFromLogTime() {
        startAll();
        reportAll();
        elapse(10_000, "n1", "n2", "n3");
        long before = state.clockMs();

        // n3 is replaced by n4, whose wall clock is five hours fast: it must not pull log time ahead.
        assertThat(state.changeMembers(List.of("n1", "n2", "n4"))).isTrue();
        assertThat(state.members()).containsExactly("n1", "n2", "n4");
        assertThat(state.clockMs()).as("a change of members moves nothing by itself").isEqualTo(before);
        assertThat(state.memberClocks()).as("the members who stay keep their readings").containsOnlyKeys("n1", "n2");
        start("n4", FIVE_HOURS);
        report("n4");
        assertThat(state.clockMs()).isEqualTo(before);
        elapse(4_000, "n1", "n4");
        assertThat(state.clockMs()).as("n1 and n4, a majority, count true time from log time on")
                .isEqualTo(before + 4_000);

        // The old member's reports no longer count: n3 alone cannot move log time with n4 missing.
        start("n3", 0);
        assertThat(state.changeMembers(List.of("n1", "n2", "n4"))).as("the same members: no change").isFalse();
        elapse(10_000, "n3", "n1");
        assertThat(state.clockMs()).as("n1 alone of the members reported: no majority, log time stands")
                .isEqualTo(before + 4_000);
    }

    @Test
    void theMembersTravelInTheSnapshot() throws IOException {
        startAll();
        reportAll();
        state.changeMembers(List.of("n1", "n2", "n4"));
        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(snapshotBytes(state)), ONE_MINUTE,
                THREE_NODES);
        assertThat(restored.members()).as("the snapshot's members, not the configured ones")
                .containsExactly("n1", "n2", "n4");
        assertThat(restored.memberClocks()).isEqualTo(state.memberClocks());

        ByteArrayOutputStream formatThree = new ByteArrayOutputStream();
        SnapshotHeader.newBuilder().setFormatVersion(3).setClockMs(T0).build().writeDelimitedTo(formatThree);
        assertThat(SnapshotFormat.read(new ByteArrayInputStream(formatThree.toByteArray()), ONE_MINUTE, THREE_NODES)
                .members()).as("before format 4, the configured members").containsExactlyElementsOf(THREE_NODES);
    }
}
