package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * From the decision in the log on: the client's answer, the COMMITs or ROLLBACKs, their
 * acknowledgements and the End; and what goes wrong on the way (an outcome already in the log,
 * messages unacknowledged or refused, an acknowledgement that contradicts the log, a failed append).
 */
class PhaseTwoTest extends CoreHarness {
    // ------------------------------------------------------------------ the fault-free path

    @Test
    void theClientIsAnsweredAndPhaseTwoStartsOnlyWhenTheDecisionIsApplied() {
        start("t-1");
        core.beginApplied("t-1#1", BEGUN, now);
        List<Action> decided = allYes("t-1#1");
        assertThat(only(decided, Action.SendCommit.class)).as("nothing in phase 2 before the log").isEmpty();
        assertThat(only(decided, Action.Reply.class)).isEmpty();

        List<Action> applied = core.decideApplied("t-1#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);

        SubmitResult result = reply(applied);
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(result.getAttempts()).isEqualTo(1);
        assertThat(result.getParticipantsList()).allSatisfy(p -> assertThat(p.getVote().getYes()).isTrue());
        assertThat(only(applied, Action.SendCommit.class)).extracting(Action.SendCommit::service)
                .containsExactlyElementsOf(ALL);
    }

    @Test
    void endIsAppendedWhenEveryParticipantAcknowledgedAndThenTheTransactionIsForgotten() {
        committed("t-1");
        for (int i = 0; i < ALL.size() - 1; i++) {
            assertThat(core.acknowledged("t-1#1", ALL.get(i), LocalState.COMMITTED, false, now)).isEmpty();
        }

        TxnRecord end = appended(core.acknowledged("t-1#1", ServiceName.SHIPPING, LocalState.COMMITTED, false, now));
        assertThat(end.getEnd().getAttemptId()).isEqualTo("t-1#1");
        assertThat(core.inFlight()).isEqualTo(1);

        core.endApplied("t-1#1", ENDED, now);
        assertThat(core.inFlight()).isZero();
        assertThat(core.phaseOf("t-1#1")).isEmpty();
    }

    @Test
    void whenAnInDoubtParticipantsAbortReachedTheLogFirstItsOutcomeStands() {
        start("t-6");
        core.beginApplied("t-6#1", BEGUN, now);
        allYes("t-6#1");
        RecordResult lost = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE).setOutcome(Outcome.ABORT)
                .setStatus(TxnStatus.DECIDED).setReason("payment: no decision after 15000 ms in doubt")
                .setLastAttempt(true).build();

        List<Action> actions = core.decideApplied("t-6#1", lost, now);

        assertThat(only(actions, Action.SendRollback.class)).hasSize(4);
        assertThat(only(actions, Action.SendCommit.class)).isEmpty();
        assertThat(only(actions, Action.ReadLog.class)).as("the log vouches that no later attempt began").isEmpty();
        assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(reply(actions).getReason()).contains("in doubt");
    }

    // ------------------------------------------------------------------ phase-2 failures and log failures

    @Test
    void unacknowledgedPhaseTwoMessagesAreResentUntilAcknowledged() {
        committed("p-1");
        for (int i = 0; i < 6; i++) {
            core.phase2Failed("p-1#1", ServiceName.ORDER, now);
            now += 2_000;
            assertThat(only(core.tick(now), Action.SendCommit.class)).singleElement()
                    .satisfies(c -> assertThat(c.service()).isEqualTo(ServiceName.ORDER));
        }
    }

    @Test
    void aRefusedCommitIsAnInvariantViolationThatKeepsTheAttemptUnfinishedAndReported() {
        committed("p-2");
        for (ServiceName s : List.of(ServiceName.INVENTORY, ServiceName.PAYMENT, ServiceName.ORDER)) {
            core.acknowledged("p-2#1", s, LocalState.COMMITTED, false, now);
        }

        List<Action> actions = core.phase2Refused("p-2#1", ServiceName.SHIPPING, "CONFLICT: was rolled back here", now);

        assertThat(only(actions, Action.Alarm.class)).hasSize(1);
        assertThat(only(actions, Action.Append.class)).as("never an End: the refusal is no acknowledgement").isEmpty();
        assertThat(core.violations()).singleElement().satisfies(v -> {
            assertThat(v.attemptId()).isEqualTo("p-2#1");
            assertThat(v.service()).isEqualTo(ServiceName.SHIPPING);
            assertThat(v.message()).contains("refused COMMIT").contains("rolled back here");
        });
        assertThat(core.phaseOf("p-2#1")).contains(AttemptPhase.COMMITTING);
        // Sent again, slowly, until an operator's repair lets it acknowledge; then it ends.
        now += SETTINGS.retryBackoffMaxMs();
        assertThat(only(core.tick(now), Action.SendCommit.class)).singleElement()
                .satisfies(c -> assertThat(c.service()).isEqualTo(ServiceName.SHIPPING));
        List<Action> repaired = core.acknowledged("p-2#1", ServiceName.SHIPPING, LocalState.COMMITTED, false, now);
        assertThat(appended(repaired).hasEnd()).isTrue();
        assertThat(core.violations()).isEmpty();
    }

    @Test
    void anAcknowledgementThatContradictsTheLogIsAViolationNotAnAcknowledgement() {
        committed("p-3");

        List<Action> actions = core.acknowledged("p-3#1", ServiceName.PAYMENT, LocalState.ROLLED_BACK, false, now);

        assertThat(only(actions, Action.Alarm.class)).hasSize(1);
        assertThat(core.violations()).extracting(Violation::service).containsExactly(ServiceName.PAYMENT);
        for (ServiceName s : List.of(ServiceName.INVENTORY, ServiceName.ORDER, ServiceName.SHIPPING)) {
            assertThat(only(core.acknowledged("p-3#1", s, LocalState.COMMITTED, false, now), Action.Append.class))
                    .as("no End while payment contradicts the log").isEmpty();
        }
    }

    @Test
    void aFailedAppendIsRetriedWithTheSameRecord() {
        List<Action> actions = start("a-1");
        TxnRecord begin = appended(actions);
        core.appendFailed("a-1#1", begin, now);
        now += SETTINGS.retryBackoffMs();

        assertThat(appended(core.tick(now))).isEqualTo(begin);
    }
}
