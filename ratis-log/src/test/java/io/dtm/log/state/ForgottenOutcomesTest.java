package io.dtm.log.state;

import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the log does with an attempt id whose outcome it dropped: remembers that it was used
 * (FORGOTTEN) for {@code maxForgotten} more evictions, refuses to begin it again, and marks the
 * ABORT of a re-run that got past that memory so that no reader takes it for the tid's outcome.
 */
class ForgottenOutcomesTest {
    private static final List<String> TWO = List.of("inventory", "payment");

    private final TxnLogState log = new TxnLogState(new TxnLogState.Retention(2, 1_000_000, 3), List.of("n1"));
    private long now = 1_000;

    private RecordResult apply(TxnRecord record) {
        long at = now++;
        return log.apply(RecordBatch.newBuilder().setTimestampMs(at).setUptimeMs(at).setProcessId(1).setNodeId("n1")
                .addRecords(record).build(), 1)
                .getResults(0);
    }

    private void run(String attemptId, Outcome outcome) {
        apply(LogRecords.begin(attemptId, TWO, 5_000, 42, 7));
        apply(LogRecords.decide(attemptId, outcome, "", "coordinator:n1"));
        apply(LogRecords.end(attemptId));
    }

    @Test
    void anEvictedOutcomeLeavesItsIdForgottenAndABeginOfItIsRefused() {
        run("a#1", Outcome.COMMIT);
        run("b#1", Outcome.COMMIT);
        run("c#1", Outcome.COMMIT);

        assertThat(log.query("a#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.query("a#1").getReason()).contains("the log keeps the last 2 outcomes");
        RecordResult again = apply(LogRecords.begin("a#1", TWO, 9_000, 42, 8));
        assertThat(again.getDisposition()).as("it ran: it must not run again as new").isEqualTo(Disposition.REFUSED);
        assertThat(again.getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.inFlightCount()).isZero();
    }

    @Test
    void theMemoryOfForgottenIdsIsBoundedAndDropsTheOldestFirst() {
        for (String tid : List.of("a", "b", "c", "d", "e", "f")) {
            run(tid + "#1", Outcome.ABORT);
        }
        // Retained: e, f. Forgotten (3 at most): b, c, d. Past memory: a.
        assertThat(log.query("a#1").getStatus()).isEqualTo(TxnStatus.UNKNOWN);
        assertThat(log.query("b#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.query("d#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.query("e#1").getStatus()).isEqualTo(TxnStatus.ENDED);
        assertThat(log.stats().getForgottenIds()).isEqualTo(3);
    }

    @Test
    void anInDoubtParticipantsAbortOfAForgottenIdIsRefusedAndRecordsNothing() {
        run("a#1", Outcome.COMMIT);
        run("b#1", Outcome.COMMIT);
        run("c#1", Outcome.COMMIT);

        RecordResult abort = apply(LogRecords.decide("a#1", Outcome.ABORT, "in doubt", "participant:payment"));

        assertThat(abort.getDisposition()).isEqualTo(Disposition.REFUSED);
        assertThat(abort.getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.retainedCount()).as("no second outcome for the id").isEqualTo(2);
    }

    @Test
    void aReRunsAbortMarkedForgottenEndsForgottenNotAsAnOutcome() {
        apply(LogRecords.begin("r#1", TWO, 5_000, 42, 9));
        RecordResult decided = apply(LogRecords.decide("r#1", Outcome.ABORT, "payment: already ran", "coordinator:n1",
                true));
        assertThat(decided.getForgotten()).isTrue();
        assertThat(log.query("r#1").getForgotten()).as("readers see it while in flight").isTrue();

        RecordResult ended = apply(LogRecords.end("r#1"));

        assertThat(ended.getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.query("r#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.retainedCount()).isZero();
    }

    @Test
    void aPlainAbortCanBeMarkedForgottenLaterButNeverACommit() {
        apply(LogRecords.begin("r#1", TWO, 5_000, 42, 9));
        apply(LogRecords.decide("r#1", Outcome.ABORT, "deadline", "coordinator:n1"));

        RecordResult marked = apply(LogRecords.decide("r#1", Outcome.ABORT, "payment: already ran", "coordinator:n1",
                true));
        assertThat(marked.getDisposition()).isEqualTo(Disposition.APPLIED);
        assertThat(marked.getOutcome()).as("the outcome is write-once").isEqualTo(Outcome.ABORT);
        assertThat(log.query("r#1").getReason()).isEqualTo("deadline");

        apply(LogRecords.begin("c#1", TWO, 5_000, 42, 9));
        apply(LogRecords.decide("c#1", Outcome.COMMIT, "", "coordinator:n1"));
        RecordResult refused = apply(LogRecords.decide("c#1", Outcome.ABORT, "", "coordinator:n1", true));
        assertThat(refused.getDisposition()).isEqualTo(Disposition.DUPLICATE);
        assertThat(log.query("c#1").getForgotten()).isFalse();
    }

    @Test
    void anEndedAbortMarkedForgottenLeavesRetentionAtOnce() {
        run("r#1", Outcome.ABORT);

        RecordResult marked = apply(LogRecords.decide("r#1", Outcome.ABORT, "payment: already ran", "coordinator:n1",
                true));

        assertThat(marked.getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.query("r#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
    }

    @Test
    void aStatusReadFindsTheLastAttemptWhenTheFirstWasEvicted() {
        run("x#1", Outcome.ABORT);
        run("y#1", Outcome.COMMIT);
        run("x#2", Outcome.COMMIT); // x#1 is evicted by this End; x#2 is retained

        assertThat(log.query("x#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(log.queryLastAttempt("x").getAttemptId()).isEqualTo("x#2");
        assertThat(log.queryLastAttempt("x").getOutcome()).isEqualTo(Outcome.COMMIT);
        assertThat(log.queryLastAttempt("never").getStatus()).isEqualTo(TxnStatus.UNKNOWN);
    }

    @Test
    void aLaterAttemptSupersedesTheEarlierOneSoItsOutcomeIsNotTakenForTheTids() {
        RecordResult first = apply(LogRecords.begin("s#1", TWO, 5_000, 42, 1));
        assertThat(first.getLastAttempt()).as("nothing began after it yet").isTrue();
        apply(LogRecords.decide("s#1", Outcome.ABORT, "payment: LOCKED", "coordinator:n1"));
        apply(LogRecords.begin("s#2", TWO, 5_000, 42, 2));
        apply(LogRecords.end("s#1"));

        assertThat(log.query("s#1").getLastAttempt()).as("s#2 began after it").isFalse();
        assertThat(log.query("s#2").getLastAttempt()).isTrue();
        RecordResult resubmitted = apply(LogRecords.begin("s#1", TWO, 9_000, 42, 3));
        assertThat(resubmitted.getDisposition()).isEqualTo(Disposition.DUPLICATE);
        assertThat(resubmitted.getLastAttempt()).as("a resubmission's Begin learns it too").isFalse();
    }

    @Test
    void aStatusReadNeverTakesASupersededAbortForTheTidsOutcome() {
        // No memory of forgotten ids: an evicted outcome leaves nothing behind.
        TxnLogState noMemory = new TxnLogState(new TxnLogState.Retention(2, 1_000_000, 0), List.of("n1"));
        long[] clock = {1_000};
        java.util.function.Consumer<TxnRecord> at = r -> noMemory.apply(RecordBatch.newBuilder()
                .setTimestampMs(clock[0]).setUptimeMs(clock[0]++).setProcessId(1).setNodeId("n1").addRecords(r).build(), 1);
        at.accept(LogRecords.begin("t#1", TWO, 5_000, 42, 1));
        at.accept(LogRecords.decide("t#1", Outcome.ABORT, "payment: LOCKED", "coordinator:n1"));
        at.accept(LogRecords.begin("t#2", TWO, 5_000, 42, 2));
        at.accept(LogRecords.decide("t#2", Outcome.COMMIT, "", "coordinator:n1"));
        at.accept(LogRecords.end("t#2")); // ends before t#1: its ROLLBACKs were slow
        at.accept(LogRecords.begin("u#1", TWO, 5_000, 42, 1));
        at.accept(LogRecords.decide("u#1", Outcome.COMMIT, "", "coordinator:n1"));
        at.accept(LogRecords.end("u#1"));
        at.accept(LogRecords.end("t#1")); // t#2, the oldest, leaves; t#1 stays

        assertThat(noMemory.query("t#2").getStatus()).isEqualTo(TxnStatus.UNKNOWN);
        assertThat(noMemory.query("t#1").getOutcome()).isEqualTo(Outcome.ABORT);
        TxnState status = noMemory.queryLastAttempt("t");
        assertThat(status.getStatus()).as("t committed in t#2: t#1's ABORT is not its outcome")
                .isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(status.getReason()).contains("a later attempt than t#1 (ABORT) began");
        assertThat(noMemory.queryLastAttempt("u").getOutcome()).isEqualTo(Outcome.COMMIT);
    }

    @Test
    void anAttemptBegunAgainPastTheMemoryIsSupersededWhenALaterOneIsKnown() {
        TxnLogState noMemory = new TxnLogState(new TxnLogState.Retention(3, 1_000_000, 0), List.of("n1"));
        long[] clock = {1_000};
        java.util.function.Function<TxnRecord, RecordResult> at = r -> noMemory.apply(RecordBatch.newBuilder()
                .setTimestampMs(clock[0]).setUptimeMs(clock[0]++).setProcessId(1).setNodeId("n1").addRecords(r).build(), 1)
                .getResults(0);
        at.apply(LogRecords.begin("v#1", TWO, 5_000, 42, 1));
        at.apply(LogRecords.decide("v#1", Outcome.ABORT, "payment: LOCKED", "coordinator:n1"));
        at.apply(LogRecords.end("v#1"));
        at.apply(LogRecords.begin("v#2", TWO, 5_000, 42, 2));
        at.apply(LogRecords.decide("v#2", Outcome.COMMIT, "", "coordinator:n1"));
        at.apply(LogRecords.end("v#2"));
        for (String tid : List.of("w", "x")) { // v#1 leaves, and no memory keeps it
            at.apply(LogRecords.begin(tid + "#1", TWO, 5_000, 42, 1));
            at.apply(LogRecords.decide(tid + "#1", Outcome.COMMIT, "", "coordinator:n1"));
            at.apply(LogRecords.end(tid + "#1"));
        }
        assertThat(noMemory.query("v#1").getStatus()).isEqualTo(TxnStatus.UNKNOWN);

        RecordResult again = at.apply(LogRecords.begin("v#1", TWO, 9_000, 42, 3));

        assertThat(again.getDisposition()).as("past the log's memory: it runs again").isEqualTo(Disposition.APPLIED);
        assertThat(again.getLastAttempt()).as("but v#2 is known: v#1 is not the tid's last").isFalse();
    }

    @Test
    void supersededMarksSurviveASnapshotAndEarlierFormatsCannotRuleOutALaterAttempt() throws IOException {
        apply(LogRecords.begin("s#1", TWO, 5_000, 42, 1));
        apply(LogRecords.decide("s#1", Outcome.ABORT, "payment: LOCKED", "coordinator:n1"));
        apply(LogRecords.begin("s#2", TWO, 5_000, 42, 2));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotFormat.write(log, out);

        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(out.toByteArray()), log.retention(),
                List.of("n1"));

        assertThat(restored.query("s#1").getLastAttempt()).isFalse();
        assertThat(restored.query("s#2").getLastAttempt()).isTrue();

        ByteArrayOutputStream formatFour = new ByteArrayOutputStream();
        io.dtm.protocol.log.SnapshotHeader.newBuilder().setFormatVersion(4).setClockMs(1_000).setRetainedCount(1)
                .addMembers("n1").build().writeDelimitedTo(formatFour);
        io.dtm.protocol.log.SnapshotEntry.newBuilder().setAttemptId("old#1").setOutcome(Outcome.ABORT)
                .setReason("payment: LOCKED").setProposer("coordinator:n1").setEndedAtMs(900).build()
                .writeDelimitedTo(formatFour);
        TxnLogState fromFour = SnapshotFormat.read(new ByteArrayInputStream(formatFour.toByteArray()), log.retention(),
                List.of("n1"));
        assertThat(fromFour.query("old#1").getLastAttempt()).as("format 4 did not track later attempts").isFalse();
    }

    @Test
    void runIdsAndForgottenIdsSurviveASnapshot() throws IOException {
        run("a#1", Outcome.COMMIT);
        run("b#1", Outcome.COMMIT);
        run("c#1", Outcome.COMMIT);
        apply(LogRecords.begin("r#1", TWO, 5_000, 42, 77));
        apply(LogRecords.decide("r#1", Outcome.ABORT, "payment: already ran", "coordinator:n1", true));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotFormat.write(log, out);
        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(out.toByteArray()), log.retention(),
                List.of("n1"));

        assertThat(restored.query("a#1").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(restored.query("r#1").getRunId()).isEqualTo(77);
        assertThat(restored.query("r#1").getForgotten()).isTrue();
        assertThat(restored.stats().getForgottenIds()).isEqualTo(1);
        assertThat(restored.apply(RecordBatch.newBuilder().setTimestampMs(now).addRecords(
                LogRecords.begin("a#1", TWO, 9_000, 42, 8)).build(), 1).getResults(0).getDisposition())
                .isEqualTo(Disposition.REFUSED);
    }

    @Test
    void aBeginSaysTheIdWasNeverDecidedOnlyWhileTheMemoryOfForgottenIdsIsComplete() {
        assertThat(apply(LogRecords.begin("n#1", TWO, 5_000, 42, 1)).getNeverDecided()).isTrue();
        for (String tid : List.of("a", "b", "c", "d", "e")) {
            run(tid + "#1", Outcome.COMMIT); // 2 retained, 3 remembered: nothing dropped yet
        }
        assertThat(apply(LogRecords.begin("m#1", TWO, 5_000, 42, 1)).getNeverDecided()).isTrue();

        run("f#1", Outcome.COMMIT); // a#1 leaves the memory: an unknown id may now be a forgotten one

        assertThat(apply(LogRecords.begin("a#1", TWO, 5_000, 42, 2)).getNeverDecided()).isFalse();
        assertThat(apply(LogRecords.begin("o#1", TWO, 5_000, 42, 1)).getNeverDecided()).isFalse();
    }

    @Test
    void whetherTheMemoryIsCompleteSurvivesASnapshot() throws IOException {
        for (String tid : List.of("a", "b", "c", "d", "e", "f")) {
            run(tid + "#1", Outcome.COMMIT);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SnapshotFormat.write(log, out);
        TxnLogState restored = SnapshotFormat.read(new ByteArrayInputStream(out.toByteArray()), log.retention(),
                List.of("n1"));

        assertThat(restored.apply(RecordBatch.newBuilder().setTimestampMs(now).setNodeId("n1").addRecords(
                LogRecords.begin("z#1", TWO, 9_000, 42, 8)).build(), 1).getResults(0).getNeverDecided()).isFalse();
    }

    @Test
    void fingerprintsAreStableAcrossRunsOfTheJvm() {
        // Replicas and snapshots agree on them: the first 8 bytes of SHA-256 of the id's UTF-8.
        assertThat(ForgottenIds.fingerprint("order-42#1")).isEqualTo(ForgottenIds.fingerprint("order-42#1"));
        assertThat(ForgottenIds.fingerprint("order-42#1")).isNotEqualTo(ForgottenIds.fingerprint("order-42#2"));
        assertThat(ForgottenIds.fingerprint("a")).isEqualTo(0xca978112ca1bbdcaL); // sha256("a") starts ca978112ca1bbdca
    }
}
