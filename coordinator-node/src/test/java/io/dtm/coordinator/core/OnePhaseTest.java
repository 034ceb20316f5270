package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One participant: its one PREPARE goes out once Begin is logged and commits in one phase; an answer
 * lost on the way is fenced before anything is decided.
 */
class OnePhaseTest extends CoreHarness {
    private static SubmitRequest inventoryOnly(String tid) {
        return SubmitRequest.newBuilder().setTid(tid).setInventory(order(tid).getInventory()).build();
    }

    @Test
    void aSingleParticipantPreparesOnceBeginIsLoggedAndCommitsInOnePhase() {
        CoordinatorCore.Started started = (CoordinatorCore.Started) core.submit(valid(inventoryOnly("one-1")), now);
        assertThat(only(started.actions(), Action.SendPrepare.class)).as("not before Begin").isEmpty();

        List<Action> begun = core.beginApplied("one-1#1", BEGUN, now);
        assertThat(only(begun, Action.SendPrepare.class)).singleElement()
                .satisfies(p -> assertThat(p.prepare().getOnePhase()).isTrue());

        List<Action> voted = core.voted("one-1#1", ServiceName.INVENTORY, yes(), now);
        assertThat(appended(voted).getDecide().getOutcome()).isEqualTo(Outcome.COMMIT);
        // Found by the harness: answering before the Decide is in the log let a status read that
        // began after the answer say "no decision yet".
        assertThat(only(voted, Action.Reply.class)).as("not before the decision is in the log").isEmpty();

        List<Action> decided = core.decideApplied("one-1#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);
        assertThat(reply(decided).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(only(decided, Action.SendCommit.class)).as("no second phase").isEmpty();
        assertThat(appended(decided).hasEnd()).isTrue();
    }

    @Test
    void aLostOnePhaseAnswerIsFencedBeforeAnythingIsDecided() {
        core.submit(valid(inventoryOnly("one-2")), now);
        core.beginApplied("one-2#1", BEGUN, now);
        core.prepareFailed("one-2#1", ServiceName.INVENTORY, "timed out", now);
        core.tick(now += 50);
        core.prepareFailed("one-2#1", ServiceName.INVENTORY, "timed out", now);
        core.tick(now += 100);

        List<Action> given = core.prepareFailed("one-2#1", ServiceName.INVENTORY, "timed out", now);

        assertThat(only(given, Action.Append.class)).as("no decision yet: it may have committed").isEmpty();
        assertThat(only(given, Action.SendRollback.class)).singleElement()
                .satisfies(r -> assertThat(r.fence()).isTrue());
        TxnRecord decide = appended(core.acknowledged("one-2#1", ServiceName.INVENTORY, LocalState.COMMITTED, false, now));
        assertThat(decide.getDecide().getOutcome()).as("it had committed").isEqualTo(Outcome.COMMIT);
        assertThat(reply(core.decideApplied("one-2#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now)).getStatus())
                .isEqualTo(SubmitResult.Status.COMMITTED);
    }
}
