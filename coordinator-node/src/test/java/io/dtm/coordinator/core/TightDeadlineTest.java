package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A deadline of 1 ms passes before anything else happens. Every order of the events that can
 * follow (Begin's result, the vote, the fence's answer, the decision) must end with an answer and
 * an empty table: a transaction the leader forgets to answer holds a client and an admission slot
 * until the next failover.
 */
class TightDeadlineTest extends CoreHarness {
    TightDeadlineTest() {
        super(3);
    }

    /** A one-phase transaction (payment alone) with a 1 ms deadline. */
    List<Action> startOnePhase(String tid) {
        SubmitRequest r = SubmitRequest.newBuilder().setTid(tid).setPayment(order(tid).getPayment()).setTimeoutMs(1)
                .build();
        return ((CoordinatorCore.Started) core.submit(valid(r), now)).actions();
    }

    List<Action> startFourServices(String tid) {
        return ((CoordinatorCore.Started) core.submit(valid(order(tid).toBuilder().setTimeoutMs(1).build()), now))
                .actions();
    }

    List<Action> deadlinePasses() {
        now += 1;
        return core.tick(now);
    }

    /** Appends the decision the actions carry, returns what its result leads to. */
    List<Action> decisionApplied(String attemptId, List<Action> actions) {
        TxnRecord decide = appended(actions);
        return core.decideApplied(attemptId, applied(decide.getDecide().getOutcome(), TxnStatus.DECIDED)
                .toBuilder().setReason(decide.getDecide().getReason()).build(), now);
    }

    void ends(String attemptId, List<Action> actions) {
        assertThat(appended(actions).hasEnd()).isTrue();
        core.endApplied(attemptId, ENDED, now);
        assertThat(core.inFlight()).as("nothing left in the leader's table").isZero();
    }

    @Test
    void onePhaseDeadlineBeforeBeginsResultAbortsOnceBeginIsLoggedWithoutFencing() {
        assertThat(only(startOnePhase("d-1"), Action.SendPrepare.class)).as("one-phase waits for Begin").isEmpty();
        assertThat(deadlinePasses()).as("nothing went out under the id, so there is nothing to fence").isEmpty();

        List<Action> begun = core.beginApplied("d-1#1", BEGUN, now);
        assertThat(only(begun, Action.SendPrepare.class)).as("too late to prepare").isEmpty();
        assertThat(only(begun, Action.SendRollback.class)).isEmpty();
        List<Action> decided = decisionApplied("d-1#1", begun);

        // The participant never heard of the attempt: a ROLLBACK leaves a tombstone there, so that it
        // remembers the attempt (and refuses a re-run of it) once the log has forgotten it. Its answer
        // comes before the client's, which it could change (it may say the tid ran before).
        assertThat(only(decided, Action.SendRollback.class)).singleElement()
                .satisfies(r -> assertThat(r.fence()).isFalse());
        assertThat(only(decided, Action.Reply.class)).isEmpty();
        List<Action> acked = core.acknowledged("d-1#1", ServiceName.PAYMENT, LocalState.ROLLED_BACK, false, now);
        SubmitResult result = reply(acked);
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getReason()).contains("deadline passed");
        ends("d-1#1", acked);
    }

    @Test
    void anAbortNobodyAnsweredIsAnsweredAfterABoundedWaitWhenNoParticipantAcknowledges() {
        startOnePhase("d-9");
        deadlinePasses();
        decisionApplied("d-9#1", core.beginApplied("d-9#1", BEGUN, now));

        now += SETTINGS.retryBackoffMaxMs() - 1;
        assertThat(only(core.tick(now), Action.Reply.class)).isEmpty();
        now += 1;
        assertThat(reply(core.tick(now)).getStatus()).as("the participant is down: ABORTED all the same")
                .isEqualTo(SubmitResult.Status.ABORTED);
    }

    @Test
    void onePhaseDeadlineBeforeBeginsResultThatIsRefusedIsRejectedAndProposesNothing() {
        startOnePhase("d-2");
        deadlinePasses();

        List<Action> refused = core.beginApplied("d-2#1", RecordResult.newBuilder()
                .setDisposition(Disposition.REFUSED).setDetail("already begun with a different request").build(), now);

        assertThat(reply(refused).getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(only(refused, Action.Append.class)).as("no ABORT of the other request's attempt").isEmpty();
        assertThat(core.inFlight()).isZero();
    }

    @Test
    void onePhaseDeadlineBeforeBeginsResultAdoptsAnOutcomeTheLogAlreadyHolds() {
        startOnePhase("d-3");
        deadlinePasses();

        List<Action> begun = core.beginApplied("d-3#1", RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE)
                .setStatus(TxnStatus.ENDED).setOutcome(Outcome.COMMIT).build(), now);

        assertThat(reply(begun).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(only(begun, Action.Append.class)).isEmpty();
        assertThat(core.inFlight()).isZero();
    }

    @Test
    void onePhaseDeadlineBeforeBeginsResultStopsALeaderTheLogFenced() {
        startOnePhase("d-4");
        deadlinePasses();

        List<Action> fenced = core.beginApplied("d-4#1", RecordResult.newBuilder()
                .setDisposition(Disposition.FENCED).setDetail("stale coordinator").build(), now);

        assertThat(only(fenced, Action.Deposed.class)).hasSize(1);
    }

    @Test
    void onePhaseDeadlineAfterThePrepareWentOutFencesAndAnswersWhatTheParticipantDid() {
        startOnePhase("d-5");
        assertThat(only(core.beginApplied("d-5#1", BEGUN, now), Action.SendPrepare.class)).hasSize(1);

        List<Action> fence = deadlinePasses();
        assertThat(only(fence, Action.SendRollback.class)).singleElement().satisfies(r -> assertThat(r.fence()).isTrue());
        List<Action> decided = decisionApplied("d-5#1",
                core.acknowledged("d-5#1", ServiceName.PAYMENT, LocalState.COMMITTED, false, now));

        assertThat(reply(decided).getStatus()).as("it had committed").isEqualTo(SubmitResult.Status.COMMITTED);
        ends("d-5#1", decided);
    }

    @Test
    void onePhaseDeadlineAfterThePrepareWentOutAndTheFenceRolledBackAnswersAborted() {
        startOnePhase("d-6");
        core.beginApplied("d-6#1", BEGUN, now);
        deadlinePasses();

        List<Action> decided = decisionApplied("d-6#1",
                core.acknowledged("d-6#1", ServiceName.PAYMENT, LocalState.ROLLED_BACK, false, now));

        assertThat(reply(decided).getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        ends("d-6#1", decided);
    }

    @Test
    void onePhaseVoteBeforeTheDeadlineCommitsAndTheLateDeadlineChangesNothing() {
        startOnePhase("d-7");
        core.beginApplied("d-7#1", BEGUN, now);
        List<Action> voted = core.voted("d-7#1", ServiceName.PAYMENT, yes(), now);

        assertThat(deadlinePasses()).isEmpty();
        List<Action> decided = decisionApplied("d-7#1", voted);

        assertThat(reply(decided).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        ends("d-7#1", decided);
    }

    @Test
    void fourServicesDeadlineBeforeBeginsResultAbortsOnceBeginIsLoggedAndRollsBackEveryone() {
        startFourServices("d-8");
        assertThat(deadlinePasses()).isEmpty();
        assertThat(core.voted("d-8#1", ServiceName.PAYMENT, yes(), now)).as("a late vote changes nothing").isEmpty();

        List<Action> decided = decisionApplied("d-8#1", core.beginApplied("d-8#1", BEGUN, now));

        assertThat(only(decided, Action.SendRollback.class)).extracting(Action.SendRollback::service)
                .containsExactlyElementsOf(ALL);
        assertThat(reply(core.acknowledged("d-8#1", ServiceName.INVENTORY, LocalState.ROLLED_BACK, false, now))
                .getStatus()).as("answered with the first acknowledgement").isEqualTo(SubmitResult.Status.ABORTED);
        List<Action> last = List.of();
        for (ServiceName s : List.of(ServiceName.PAYMENT, ServiceName.ORDER, ServiceName.SHIPPING)) {
            last = core.acknowledged("d-8#1", s, LocalState.ROLLED_BACK, false, now);
        }
        ends("d-8#1", last);
    }
}
