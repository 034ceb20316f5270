package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tid whose outcome the log no longer holds comes again. Whatever the order of events, its answer
 * is its first one (still in the log under a later attempt) or "no longer retained", never the
 * outcome of a second run.
 */
class ForgottenTidTest extends CoreHarness {
    ForgottenTidTest() {
        super(5);
    }

    static Vote earlierRun(ServiceName s, String attemptId, String state) {
        return no(VoteCode.EARLIER_RUN, s.id() + ": " + attemptId + " already ran here, in an earlier run that ended "
                + state);
    }

    static final RecordResult FORGOTTEN = RecordResult.newBuilder().setDisposition(Disposition.REFUSED)
            .setStatus(TxnStatus.FORGOTTEN).setReason("f#1 ended long ago: the log keeps the last 2 outcomes").build();

    static TxnState unknown(String attemptId) {
        return TxnState.newBuilder().setAttemptId(attemptId).setStatus(TxnStatus.UNKNOWN).build();
    }

    @Test
    void everyPrepareOfARunCarriesItsRunIdAndSoDoesItsBegin() {
        List<Action> actions = start("r");

        long run = appended(actions).getBegin().getRunId();
        assertThat(run).isNotZero();
        assertThat(only(actions, Action.SendPrepare.class)).allSatisfy(p -> assertThat(p.prepare().getRunId())
                .isEqualTo(run));
    }

    @Test
    void aReRunThatAServiceRemembersIsAbortedMarkedForgottenAndAnsweredNoLongerRetained() {
        start("f");
        core.beginApplied("f#1", BEGUN, now); // the log had nothing left of f#1
        core.voted("f#1", ServiceName.INVENTORY, yes(), now); // a service that never saw it

        TxnRecord decide = appended(core.voted("f#1", ServiceName.PAYMENT,
                earlierRun(ServiceName.PAYMENT, "f#1", "ROLLED_BACK"), now));
        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(decide.getDecide().getForgotten()).as("no reader may take it for the tid's outcome").isTrue();

        List<Action> decided = core.decideApplied("f#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                .setForgotten(true).build(), now);
        assertThat(only(decided, Action.SendRollback.class)).as("this run's prepares are undone").hasSize(4);
        assertThat(only(decided, Action.Reply.class)).as("a later attempt may still be in the log").isEmpty();
        assertThat(only(decided, Action.ReadLog.class)).singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("f#2"));

        SubmitResult answer = reply(core.logRead("f#2", unknown("f#2"), now));
        assertThat(answer.getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(answer.getReason()).startsWith("the outcome of tid f is no longer retained (")
                .contains("payment: f#1 already ran here").contains("nothing of this submission was applied");
    }

    static final RecordResult BEGUN_NEVER_DECIDED = BEGUN.toBuilder().setNeverDecided(true).build();

    /** EARLIER_RUN from a service that voted NO in that run (CARD_EXPIRED). */
    static Vote earlierNo(ServiceName s, String attemptId) {
        return earlierRun(s, attemptId, "VOTED_NO").toBuilder()
                .setEarlierVote(no(VoteCode.CARD_EXPIRED, "card ending 1111 expired 01/20")).build();
    }

    @Test
    void aNoVoteOfARunWhoseBeginNeverReachedTheLogIsAnOrdinaryNoWhenTheLogKnowsItNeverDecidedTheId() {
        start("v");
        core.beginApplied("v#1", BEGUN_NEVER_DECIDED, now);

        TxnRecord decide = appended(core.voted("v#1", ServiceName.PAYMENT, earlierNo(ServiceName.PAYMENT, "v#1"), now));

        assertThat(decide.getDecide().getForgotten()).as("nothing was forgotten: that run never reached the log")
                .isFalse();
        SubmitResult answer = reply(core.decideApplied("v#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                .setReason(decide.getDecide().getReason()).build(), now));
        assertThat(answer.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(answer.getReason()).as("the NO of that run, as if given to this one")
                .isEqualTo("payment: CARD_EXPIRED: card ending 1111 expired 01/20");
    }

    @Test
    void theSameWhenTheVoteComesBeforeBeginsResult() {
        start("w");
        assertThat(core.voted("w#1", ServiceName.PAYMENT, earlierNo(ServiceName.PAYMENT, "w#1"), now)).isEmpty();

        TxnRecord decide = appended(core.beginApplied("w#1", BEGUN_NEVER_DECIDED, now));

        assertThat(decide.getDecide().getForgotten()).isFalse();
        assertThat(decide.getDecide().getReason()).isEqualTo("payment: CARD_EXPIRED: card ending 1111 expired 01/20");
        assertThat(reply(core.decideApplied("w#1", applied(Outcome.ABORT, TxnStatus.DECIDED), now)).getStatus())
                .isEqualTo(SubmitResult.Status.ABORTED);
    }

    @Test
    void aReRunWhoseFirstAttemptIsForgottenButWhoseSecondIsRetainedAnswersTheSecondsOutcome() {
        start("f");
        core.beginApplied("f#1", BEGUN, now);
        core.voted("f#1", ServiceName.ORDER, earlierRun(ServiceName.ORDER, "f#1", "VOTED_NO"), now);
        core.decideApplied("f#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder().setForgotten(true).build(),
                now);

        SubmitResult answer = reply(core.logRead("f#2", TxnState.newBuilder().setAttemptId("f#2")
                .setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT).build(), now));

        assertThat(answer.getStatus()).as("the first run's answer, still in the log").isEqualTo(SubmitResult.Status.COMMITTED);
    }

    @Test
    void aBeginOfAForgottenIdIsRefusedAndWhatWentOutWithItIsRolledBack() {
        start("f");

        List<Action> refused = core.beginApplied("f#1", FORGOTTEN, now);

        assertThat(only(refused, Action.SendRollback.class)).extracting(Action.SendRollback::service)
                .containsExactlyInAnyOrderElementsOf(ALL);
        assertThat(only(refused, Action.Append.class)).as("nothing is proposed for a forgotten id").isEmpty();
        SubmitResult answer = reply(core.logRead("f#2", unknown("f#2"), now));
        assertThat(answer.getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(answer.getReason()).contains("no longer retained").contains("the log keeps the last 2 outcomes");
        assertThat(core.inFlight()).isZero();
    }

    @Test
    void aPlainAbortAlreadyOnItsWayIsMarkedBeforeTheClientHearsAnything() {
        start("f");
        core.beginApplied("f#1", BEGUN, now);
        now += SETTINGS.transactionTimeoutMs();
        TxnRecord deadline = appended(core.tick(now)); // the deadline: a plain ABORT goes out
        assertThat(deadline.getDecide().getForgotten()).isFalse();

        assertThat(core.voted("f#1", ServiceName.PAYMENT, earlierRun(ServiceName.PAYMENT, "f#1", "COMMITTED"), now))
                .as("the decision is in flight: it is marked when it comes back").isEmpty();
        List<Action> plain = core.decideApplied("f#1", applied(Outcome.ABORT, TxnStatus.DECIDED), now);

        assertThat(only(plain, Action.Reply.class)).isEmpty();
        TxnRecord mark = appended(plain);
        assertThat(mark.getDecide().getForgotten()).isTrue();
        List<Action> marked = core.decideApplied("f#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                .setForgotten(true).build(), now);
        assertThat(reply(core.logRead("f#2", unknown("f#2"),
                now + only(marked, Action.ReadLog.class).size())).getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
    }

    @Test
    void earlierRunVotesBeforeBeginsResultYieldToAnOutcomeTheLogStillHolds() {
        start("k");
        core.voted("k#1", ServiceName.PAYMENT, earlierRun(ServiceName.PAYMENT, "k#1", "COMMITTED"), now);

        List<Action> begun = core.beginApplied("k#1", RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE)
                .setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT).build(), now);

        assertThat(reply(begun).getStatus()).as("the log knew it: its answer stands").isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(only(begun, Action.Append.class)).isEmpty();
    }

    @Test
    void aRetryAfterALockedVoteNeverRunsWhenTheAttemptBeforeItRanBefore() {
        start("l");
        core.beginApplied("l#1", BEGUN, now);
        // LOCKED first: the next attempt is begun ahead of its PREPAREs.
        TxnRecord next = appended(core.voted("l#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, "sku held"), now));
        assertThat(next.getBegin().getAttemptId()).isEqualTo("l#2");
        core.voted("l#1", ServiceName.PAYMENT, earlierRun(ServiceName.PAYMENT, "l#1", "ROLLED_BACK"), now);
        List<Action> secondBegun = core.beginApplied("l#2", BEGUN, now);
        TxnRecord abortFirst = appended(secondBegun);
        assertThat(abortFirst.getDecide().getAttemptId()).isEqualTo("l#1");
        assertThat(abortFirst.getDecide().getForgotten()).isTrue();
        core.decideApplied("l#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder().setForgotten(true).build(),
                now);
        List<Action> last = List.of();
        for (ServiceName s : ALL) {
            last = core.acknowledged("l#1", s, LocalState.ROLLED_BACK, s == ServiceName.PAYMENT, now);
        }
        now += 10_000;

        List<Action> whenDue = new java.util.ArrayList<>(last);
        whenDue.addAll(core.tick(now));

        assertThat(only(whenDue, Action.SendPrepare.class)).as("l#2 must not run in place of l#1").isEmpty();
        TxnRecord abortSecond = only(whenDue, Action.Append.class).stream().map(Action.Append::record)
                .filter(TxnRecord::hasDecide).findFirst().orElseThrow();
        assertThat(abortSecond.getDecide().getAttemptId()).isEqualTo("l#2");
        assertThat(abortSecond.getDecide().getForgotten()).isTrue();
    }

    @Test
    void anAbortNobodyAnsweredWaitsForTheFirstAcknowledgementWhichMaySayTheTidRanBefore() {
        start("a");
        core.beginApplied("a#1", BEGUN, now);
        now += SETTINGS.transactionTimeoutMs();
        core.tick(now); // the deadline: no participant answered this run
        List<Action> decided = core.decideApplied("a#1", applied(Outcome.ABORT, TxnStatus.DECIDED), now);
        assertThat(only(decided, Action.Reply.class)).as("not before a participant had its say").isEmpty();

        List<Action> acked = core.acknowledged("a#1", ServiceName.SHIPPING, LocalState.COMMITTED, true, now);

        assertThat(only(acked, Action.Reply.class)).isEmpty();
        assertThat(appended(acked).getDecide().getForgotten()).isTrue();
        List<Action> marked = core.decideApplied("a#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                .setForgotten(true).build(), now);
        SubmitResult answer = reply(core.logRead("a#2", unknown("a#2"),
                now + only(marked, Action.ReadLog.class).size()));
        assertThat(answer.getStatus()).as("never this run's ABORT: the tid committed before")
                .isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(answer.getReason()).contains("shipping: a#1 already ran here, in an earlier run that ended COMMITTED");
        assertThat(core.violations()).as("the re-run never prepared there: no contradiction").isEmpty();
    }

    @Test
    void aRollbackAckThatSaysTheAttemptRanBeforeMarksAnAbortAlreadyAnswered() {
        start("b");
        core.beginApplied("b#1", BEGUN, now);
        now += SETTINGS.transactionTimeoutMs();
        core.tick(now);
        core.decideApplied("b#1", applied(Outcome.ABORT, TxnStatus.DECIDED), now);
        now += SETTINGS.retryBackoffMaxMs();
        assertThat(reply(core.tick(now)).getStatus()).as("no acknowledgement in time").isEqualTo(SubmitResult.Status.ABORTED);

        List<Action> acked = core.acknowledged("b#1", ServiceName.SHIPPING, LocalState.COMMITTED, true, now);

        assertThat(appended(acked).getDecide().getForgotten())
                .as("no later reader may take this run's ABORT for the tid's outcome").isTrue();
    }
}
