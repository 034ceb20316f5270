package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A submission is started, joined, answered from the answers kept or turned away (the in-flight
 * bound, a service that stops acknowledging); and a tid that comes again is answered what the log
 * holds for it, its latest attempt's outcome, never another request's.
 */
class AdmissionAndAnswersTest extends CoreHarness {
    // ------------------------------------------------------------------ admission

    @Test
    void theSameTidJoinsWhileRunningAndGetsTheSameAnswerAfterwards() {
        start("t-8");
        assertThat(core.submit(valid(order("t-8")), now)).isInstanceOf(CoordinatorCore.Joined.class);
        core.beginApplied("t-8#1", BEGUN, now);
        allYes("t-8#1");
        SubmitResult result = reply(core.decideApplied("t-8#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now));

        CoordinatorCore.Submitted again = core.submit(valid(order("t-8")), now);

        assertThat(again).isInstanceOf(CoordinatorCore.Answered.class);
        assertThat(((CoordinatorCore.Answered) again).result()).isEqualTo(result);

        // Finished and forgotten but for its kept answer: the same answer, and another request refused.
        for (ServiceName s : ALL) {
            core.acknowledged("t-8#1", s, LocalState.COMMITTED, false, now);
        }
        core.endApplied("t-8#1", ENDED, now);
        assertThat(core.inFlight()).isZero();
        assertThat(((CoordinatorCore.Answered) core.submit(valid(order("t-8")), now)).result()).isEqualTo(result);
        SubmitRequest other = order("t-8").toBuilder().setPayment(order("t-8").getPayment().toBuilder()
                .setAmountCents(1)).build();
        assertThat(((CoordinatorCore.Answered) core.submit(valid(other), now)).result().getReason())
                .contains("was used for a different request");
    }

    @Test
    void theSameTidWithAnotherRequestIsRejectedOnceTheLogTookTheFirst() {
        start("t-9");
        core.beginApplied("t-9#1", BEGUN, now);
        SubmitRequest other = order("t-9").toBuilder().setPayment(order("t-9").getPayment().toBuilder()
                .setAmountCents(1)).build();

        CoordinatorCore.Submitted s = core.submit(valid(other), now);

        assertThat(s).isInstanceOf(CoordinatorCore.Answered.class);
        assertThat(((CoordinatorCore.Answered) s).result().getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(((CoordinatorCore.Answered) s).result().getReason()).contains("different request");
    }

    @Test
    void theSameTidWithAnotherRequestBeforeTheLogSaidWhoseItIsIsToldToRetry() {
        start("t-10"); // its Begin may yet be refused (the tid already another's, or forgotten)
        SubmitRequest other = order("t-10").toBuilder().setPayment(order("t-10").getPayment().toBuilder()
                .setAmountCents(1)).build();

        CoordinatorCore.Submitted s = core.submit(valid(other), now);

        assertThat(((CoordinatorCore.Answered) s).result().getStatus()).isEqualTo(SubmitResult.Status.OVERLOADED);
        assertThat(((CoordinatorCore.Answered) s).result().getReason()).contains("being claimed by a different request");
    }

    @Test
    void pastTheInFlightBoundSubmissionsAreAnsweredOverloadedAtOnce() {
        core = new CoordinatorCore(new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20, 1, 100, TestDigest.KEYED),
                new Random(1));
        start("a");

        CoordinatorCore.Submitted s = core.submit(valid(order("b")), now);

        assertThat(((CoordinatorCore.Answered) s).overloaded()).isTrue();
        assertThat(((CoordinatorCore.Answered) s).result().getStatus()).isEqualTo(SubmitResult.Status.OVERLOADED);
        assertThat(((CoordinatorCore.Answered) s).result().getReason()).contains("overloaded");
    }

    @Test
    void answeredTransactionsStillInPhaseTwoDoNotCountAgainstTheInFlightBound() {
        core = new CoordinatorCore(new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20, 2, 100, TestDigest.KEYED),
                new Random(1));
        assertThat(reply(committed("a")).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        // "a" is answered; its COMMITs are not acknowledged (a participant is down): not in the way.
        start("b");

        CoordinatorCore.Submitted third = core.submit(valid(order("c")), now);

        assertThat(third).isInstanceOf(CoordinatorCore.Started.class);
        assertThat(core.phase2Backlog()).isEqualTo(1);
    }

    @Test
    void aServiceThatStopsAcknowledgingTurnsAwayOnlyTheTransactionsThatNeedIt() {
        core = new CoordinatorCore(new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20, 1, 100, TestDigest.KEYED),
                new Random(1));
        committed("a");
        for (ServiceName s : List.of(ServiceName.INVENTORY, ServiceName.PAYMENT, ServiceName.ORDER)) {
            core.acknowledged("a#1", s, LocalState.COMMITTED, false, now);
        }
        // shipping never acknowledges: one decided attempt waits for it, the bound of this core.

        CoordinatorCore.Submitted needsShipping = core.submit(valid(order("b")), now);
        CoordinatorCore.Submitted paymentOnly = core.submit(valid(SubmitRequest.newBuilder().setTid("c")
                .setPayment(order("c").getPayment()).build()), now);

        assertThat(((CoordinatorCore.Answered) needsShipping).result().getStatus())
                .isEqualTo(SubmitResult.Status.OVERLOADED);
        assertThat(((CoordinatorCore.Answered) needsShipping).result().getReason())
                .contains("shipping has not acknowledged");
        assertThat(paymentOnly).isInstanceOf(CoordinatorCore.Started.class);
    }

    // ------------------------------------------------------------------ a tid this leader did not see before

    @Test
    void aResubmittedTidThisLeaderNeverSawGetsTheOutcomeTheLogHolds() {
        start("r-1");
        RecordResult endedCommit = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE)
                .setOutcome(Outcome.COMMIT).setStatus(TxnStatus.ENDED).build();

        SubmitResult result = reply(core.beginApplied("r-1#1", endedCommit, now));

        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(core.inFlight()).isZero();
    }

    @Test
    void aResubmittedTidThatAbortedAsksTheLogWhetherALaterAttemptExists() {
        start("r-2");
        RecordResult endedAbort = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE)
                .setOutcome(Outcome.ABORT).setStatus(TxnStatus.ENDED).setReason("inventory: LOCKED: ...").build();
        List<Action> begun = core.beginApplied("r-2#1", endedAbort, now);
        assertThat(only(begun, Action.ReadLog.class)).singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("r-2#2"));

        TxnState second = TxnState.newBuilder().setAttemptId("r-2#2").setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT)
                .build();
        SubmitResult result = reply(core.logRead("r-2#2", second, now));

        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(result.getAttempts()).isEqualTo(2);
    }

    /**
     * Found by the Jepsen-style harness (kill-leader): a tid committed on its second attempt was
     * resubmitted to the new leader, whose PREPARE of attempt 1 came back first with the NO vote
     * that attempt had given (LOCKED); the leader answered ABORTED, never looking for attempt 2.
     */
    @Test
    void aResubmittedTidWhoseOldNoVoteArrivesBeforeBeginStillFindsItsLaterCommittedAttempt() {
        start("r-3");
        core.voted("r-3#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, "sku-0001 is held by prepared transaction x#1"),
                now);
        RecordResult endedAbort = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE)
                .setOutcome(Outcome.ABORT).setStatus(TxnStatus.ENDED).setReason("inventory: LOCKED: ...").build();

        List<Action> begun = core.beginApplied("r-3#1", endedAbort, now);

        assertThat(only(begun, Action.Reply.class)).isEmpty();
        assertThat(only(begun, Action.ReadLog.class)).singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("r-3#2"));
        TxnState second = TxnState.newBuilder().setAttemptId("r-3#2").setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT)
                .build();
        SubmitResult result = reply(core.logRead("r-3#2", second, now));
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(result.getAttempts()).isEqualTo(2);
    }

    /** The same, when this leader would not retry any more: its own ABORT meets the old one in the log. */
    @Test
    void aResubmittedTidThatWouldNotRetryStillFindsItsLaterCommittedAttempt() {
        CoordinatorCore.Submitted s = core.submit(valid(order("r-4").toBuilder().setMaxAttempts(1).build()), now);
        assertThat(s).isInstanceOf(CoordinatorCore.Started.class);
        core.voted("r-4#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, "sku-0001 is held by prepared transaction x#1"),
                now);
        RecordResult endedAbort = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE)
                .setOutcome(Outcome.ABORT).setStatus(TxnStatus.ENDED).build();

        List<Action> begun = core.beginApplied("r-4#1", endedAbort, now);

        assertThat(only(begun, Action.Append.class)).as("its own ABORT is not proposed over the log's").isEmpty();
        assertThat(only(begun, Action.ReadLog.class)).singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("r-4#2"));
        SubmitResult result = reply(core.logRead("r-4#2", TxnState.newBuilder().setAttemptId("r-4#2")
                .setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT).build(), now));
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
    }

    @Test
    void aReusedTidThatTheLogRefusesIsRejectedAndNothingIsRolledBack() {
        start("r-3");
        RecordResult refused = RecordResult.newBuilder().setDisposition(Disposition.REFUSED)
                .setDetail("already ended, with a different request").build();

        List<Action> actions = core.beginApplied("r-3#1", refused, now);

        assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(only(actions, Action.SendRollback.class))
                .as("a ROLLBACK could undo the original's commit; the participants resolve by digest").isEmpty();
    }
}
