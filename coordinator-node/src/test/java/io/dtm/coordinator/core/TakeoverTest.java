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
 * A new leader takes over from what the log holds: it aborts (or, for one participant, fences) what
 * was undecided, finishes what was decided, and answers the clients that ask again with each
 * transaction's latest attempt; an old leader whose records are fenced learns it was deposed.
 */
class TakeoverTest extends CoreHarness {
    @Test
    void aNewLeaderAbortsWhatWasUndecidedAndFinishesWhatWasDecided() {
        TxnState undecided = TxnState.newBuilder().setAttemptId("u#1").setStatus(TxnStatus.IN_FLIGHT)
                .addAllParticipants(List.of("inventory", "payment")).setRequestDigest(42).build();
        TxnState decided = TxnState.newBuilder().setAttemptId("d#1").setStatus(TxnStatus.DECIDED).setOutcome(Outcome.COMMIT)
                .addAllParticipants(List.of("order", "shipping")).build();

        List<Action> actions = core.recover(List.of(undecided, decided), now);

        assertThat(only(actions, Action.Append.class)).singleElement().satisfies(a -> {
            assertThat(a.record().getDecide().getAttemptId()).isEqualTo("u#1");
            assertThat(a.record().getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
            assertThat(a.record().getDecide().getReason()).isEqualTo("coordinator failover before decision");
        });
        assertThat(only(actions, Action.SendCommit.class)).extracting(Action.SendCommit::service)
                .containsExactly(ServiceName.ORDER, ServiceName.SHIPPING);
        assertThat(only(actions, Action.SendPrepare.class)).isEmpty();
    }

    @Test
    void aNewLeaderFencesAnUndecidedOnePhaseAttempt() {
        TxnState undecided = TxnState.newBuilder().setAttemptId("one-3#1").setStatus(TxnStatus.IN_FLIGHT)
                .addAllParticipants(List.of("payment")).build();

        List<Action> actions = core.recover(List.of(undecided), now);

        assertThat(only(actions, Action.Append.class)).isEmpty();
        assertThat(only(actions, Action.SendRollback.class)).singleElement().satisfies(r -> {
            assertThat(r.service()).isEqualTo(ServiceName.PAYMENT);
            assertThat(r.fence()).isTrue();
        });
        TxnRecord decide = appended(core.acknowledged("one-3#1", ServiceName.PAYMENT, LocalState.ROLLED_BACK, false, now));
        assertThat(decide.getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(decide.getDecide().getReason()).isEqualTo("coordinator failover before decision");
    }

    @Test
    void aRecoveredTransactionIsAnsweredWithItsLatestAttemptsOutcome() {
        TxnState lockedOut = TxnState.newBuilder().setAttemptId("x#2").setStatus(TxnStatus.DECIDED).setOutcome(Outcome.ABORT)
                .setReason("inventory: LOCKED: ...").addAllParticipants(List.of("inventory")).build();
        TxnState committed = TxnState.newBuilder().setAttemptId("x#3").setStatus(TxnStatus.DECIDED)
                .setOutcome(Outcome.COMMIT).addAllParticipants(List.of("inventory")).build();

        List<Action> actions = core.recover(List.of(lockedOut, committed), now);

        assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(reply(actions).getAttempts()).isEqualTo(3);
    }

    @Test
    void aRecoveredAbortAsksTheLogWhetherALaterAttemptEndedAlready() {
        TxnState old = TxnState.newBuilder().setAttemptId("y#1").setStatus(TxnStatus.DECIDED).setOutcome(Outcome.ABORT)
                .addAllParticipants(List.of("inventory")).build();
        List<Action> actions = core.recover(List.of(old), now);
        assertThat(only(actions, Action.Reply.class)).isEmpty();
        assertThat(only(actions, Action.ReadLog.class)).singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("y#2"));

        TxnState later = TxnState.newBuilder().setAttemptId("y#2").setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT).build();
        List<Action> read = core.logRead("y#2", later, now);

        assertThat(reply(read).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
    }

    @Test
    void aClientRetryAfterFailoverJoinsTheRecoveredTransaction() {
        TxnState undecided = TxnState.newBuilder().setAttemptId("t-9#1").setStatus(TxnStatus.IN_FLIGHT)
                .addAllParticipants(List.of("inventory", "payment", "order", "shipping"))
                .setRequestDigest(valid(order("t-9")).digest()).setLastAttempt(true).build();
        core.recover(List.of(undecided), now);

        assertThat(core.submit(valid(order("t-9")), now)).isInstanceOf(CoordinatorCore.Joined.class);
        List<Action> decided = core.decideApplied("t-9#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                .setReason("coordinator failover before decision").build(), now);
        assertThat(only(decided, Action.ReadLog.class)).as("the log vouched it was the last attempt").isEmpty();
        assertThat(only(decided, Action.Reply.class)).as("no participant answered this run yet").isEmpty();
        SubmitResult result = reply(core.acknowledged("t-9#1", ServiceName.PAYMENT, LocalState.ROLLED_BACK, false,
                now));
        assertThat(result.getReason()).isEqualTo("coordinator failover before decision");
    }

    @Test
    void fencedRecordsMeanAnotherLeaderTookOver() {
        start("f-1");
        RecordResult fenced = RecordResult.newBuilder().setDisposition(Disposition.FENCED)
                .setDetail("stale coordinator: proposed in term 2, logged in term 3").build();

        assertThat(only(core.beginApplied("f-1#1", fenced, now), Action.Deposed.class)).hasSize(1);
    }
}
