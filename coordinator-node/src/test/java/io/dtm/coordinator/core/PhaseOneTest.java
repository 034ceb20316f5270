package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Phase 1 and the decision: the Begin and the PREPAREs, the votes, and each way an attempt is aborted
 * before its decision is logged (a NO, a participant that never answers, the deadline).
 */
class PhaseOneTest extends CoreHarness {
    // ------------------------------------------------------------------ the fault-free path

    @Test
    void beginAndEveryPrepareGoOutAtOnce() {
        List<Action> actions = start("t-1");

        TxnRecord begin = appended(actions);
        assertThat(begin.getBegin().getAttemptId()).isEqualTo("t-1#1");
        assertThat(begin.getBegin().getParticipantsList()).containsExactly("inventory", "payment", "order", "shipping");
        assertThat(begin.getBegin().getRequestDigest()).isNotZero();
        assertThat(only(actions, Action.SendPrepare.class)).extracting(Action.SendPrepare::service)
                .containsExactlyElementsOf(ALL);
        assertThat(only(actions, Action.SendPrepare.class)).allSatisfy(p -> {
            assertThat(p.prepare().getAttemptId()).isEqualTo("t-1#1");
            assertThat(p.prepare().getRequestDigest()).isEqualTo(begin.getBegin().getRequestDigest());
        });
    }

    @Test
    void commitIsDecidedOnlyOnceEveryVoteIsYesAndBeginIsCommitted() {
        start("t-1");
        assertThat(allYes("t-1#1")).as("no decision before Begin commits").isEmpty();

        TxnRecord decide = appended(core.beginApplied("t-1#1", BEGUN, now));

        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.COMMIT);
        assertThat(decide.getDecide().getProposer()).isEqualTo("coordinator:n1");
        assertThat(core.phaseOf("t-1#1")).contains(AttemptPhase.DECIDING);
    }

    // ------------------------------------------------------------------ aborts

    @Test
    void aNoVoteAbortsAtOnceNamingTheServiceAndTheCause() {
        start("t-2");
        core.beginApplied("t-2#1", BEGUN, now);
        TxnRecord decide = appended(core.voted("t-2#1", ServiceName.PAYMENT,
                no(VoteCode.CARD_DECLINED, "card ending 0002 declined by issuer"), now));
        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(decide.getDecide().getReason()).isEqualTo("payment: CARD_DECLINED: card ending 0002 declined by issuer");

        List<Action> applied = core.decideApplied("t-2#1", applied(Outcome.ABORT, TxnStatus.DECIDED)
                .toBuilder().setReason(decide.getDecide().getReason()).build(), now);

        SubmitResult result = reply(applied);
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getReason()).contains("CARD_DECLINED");
        assertThat(only(applied, Action.SendRollback.class)).as("also the NO voter and those not heard from")
                .extracting(Action.SendRollback::service).containsExactlyElementsOf(ALL);
    }

    @Test
    void anAbortDecidedBeforeBeginsResultIsNotProposedUnderAnIdThatIsAnotherRequests() {
        start("w-1");
        assertThat(core.voted("w-1#1", ServiceName.PAYMENT, no(VoteCode.INVALID_REQUEST,
                "w-1#1 is already used here for another request"), now))
                .as("nothing proposed until Begin's result says whose the id is").isEmpty();

        List<Action> actions = core.beginApplied("w-1#1", RecordResult.newBuilder().setDisposition(Disposition.REFUSED)
                .setDetail("already begun with a different request").build(), now);

        assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(only(actions, Action.Append.class)).as("never an ABORT of the other request's attempt").isEmpty();
        assertThat(only(actions, Action.SendCommit.class)).as("never the other request's COMMIT").isEmpty();
        assertThat(core.inFlight()).isZero();
    }

    @Test
    void anAbortDecidedBeforeBeginsResultGoesOutOnceBeginIsLogged() {
        start("o-1");
        assertThat(core.voted("o-1#1", ServiceName.PAYMENT,
                no(VoteCode.CARD_DECLINED, "card ending 0002 declined by issuer"), now)).isEmpty();

        TxnRecord decide = appended(core.beginApplied("o-1#1", BEGUN, now));
        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        List<Action> actions = core.decideApplied("o-1#1", applied(Outcome.ABORT, TxnStatus.DECIDED)
                .toBuilder().setReason(decide.getDecide().getReason()).build(), now);

        assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(reply(actions).getReason()).contains("CARD_DECLINED");
        assertThat(only(actions, Action.SendRollback.class)).extracting(Action.SendRollback::service)
                .containsExactlyElementsOf(ALL);
        assertThat(only(actions, Action.SendCommit.class)).isEmpty();
    }

    @Test
    void anAbortDecidedBeforeBeginsResultYieldsToAnOutcomeAlreadyInTheLog() {
        start("o-2");
        core.voted("o-2#1", ServiceName.PAYMENT, no(VoteCode.CARD_DECLINED, "card ending 0002 declined"), now);
        // An in-doubt participant's ABORT reached the log before this Begin: it ended the attempt.
        RecordResult ended = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE).setOutcome(Outcome.ABORT)
                .setStatus(TxnStatus.ENDED).setReason("payment: in doubt").setDetail("already ended")
                .setLastAttempt(true).build();

        List<Action> actions = core.beginApplied("o-2#1", ended, now);

        assertThat(only(actions, Action.Append.class)).as("the log's word stands: no second decision").isEmpty();
        assertThat(only(actions, Action.ReadLog.class)).as("the log vouches it is the tid's last attempt").isEmpty();
        SubmitResult result = reply(actions);
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getReason()).isEqualTo("payment: in doubt");
    }

    /**
     * Found by the simulation: the log said o-3#1 had ended ABORT (a LOCKED vote; o-3#2 then
     * committed), and by the time the leader asked about o-3#2 both had left retention, with no
     * memory of forgotten ids: the leader answered ABORTED. A later attempt began (the log does not
     * vouch for o-3#1 as the last), so nothing known of o-3#2 means the tid's outcome is not known.
     */
    @Test
    void anAbortTheLogDoesNotVouchForAsTheLastAttemptIsNeverTheAnswerWhenTheNextIsGone() {
        start("o-3");
        RecordResult ended = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE).setOutcome(Outcome.ABORT)
                .setStatus(TxnStatus.ENDED).setReason("payment: LOCKED: acct-0007 is held").setDetail("already ended")
                .setLastAttempt(false).build();

        List<Action> actions = core.beginApplied("o-3#1", ended, now);

        assertThat(only(actions, Action.ReadLog.class)).singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("o-3#2"));
        SubmitResult result = reply(core.logRead("o-3#2", TxnState.newBuilder().setAttemptId("o-3#2")
                .setStatus(TxnStatus.UNKNOWN).build(), now));
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(result.getReason()).startsWith("the outcome of tid o-3 is no longer retained");
    }

    @Test
    void aParticipantThatNeverAnswersIsRetriedWithBackoffThenGivenUp() {
        start("t-3");
        core.beginApplied("t-3#1", BEGUN, now);
        assertThat(core.prepareFailed("t-3#1", ServiceName.INVENTORY, "timed out", now)).isEmpty();
        now += 49;
        assertThat(core.tick(now)).as("backoff not over").isEmpty();
        now += 1;
        assertThat(only(core.tick(now), Action.SendPrepare.class)).singleElement()
                .satisfies(p -> assertThat(p.service()).isEqualTo(ServiceName.INVENTORY));
        core.prepareFailed("t-3#1", ServiceName.INVENTORY, "timed out", now);
        now += 100;
        assertThat(only(core.tick(now), Action.SendPrepare.class)).hasSize(1);

        TxnRecord decide = appended(core.prepareFailed("t-3#1", ServiceName.INVENTORY, "timed out", now));

        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(decide.getDecide().getReason()).isEqualTo("inventory: timed out after 3 attempts");
    }

    @Test
    void theDeadlineAbortsAnUndecidedTransaction() {
        start("t-4");
        core.beginApplied("t-4#1", BEGUN, now);
        core.voted("t-4#1", ServiceName.INVENTORY, yes(), now);
        now += SETTINGS.transactionTimeoutMs();

        TxnRecord decide = appended(core.tick(now));

        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(decide.getDecide().getReason()).contains("deadline").contains("payment, order, shipping");
    }

    @Test
    void aStaleVersionAbortsAtOnceAndReportsTheCurrentVersion() {
        start("t-5");
        core.beginApplied("t-5#1", BEGUN, now);
        appended(core.voted("t-5#1", ServiceName.INVENTORY, no(VoteCode.STALE_VERSION,
                "sku-0001: expected version 3, current version 5"), now));

        SubmitResult result = reply(core.decideApplied("t-5#1", applied(Outcome.ABORT, TxnStatus.DECIDED)
                .toBuilder().setReason("inventory: STALE_VERSION: sku-0001: expected version 3, current version 5")
                .build(), now));

        assertThat(result.getReason()).contains("current version 5");
        assertThat(result.getAttempts()).isEqualTo(1);
    }
}
