package io.dtm.participant;

import io.dtm.participant.domain.InventoryService;
import io.dtm.participant.domain.MemoryWriter;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.dtm.participant.ParticipantCoreTest.commit;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs of an attempt id (Prepare.run_id): a participant never runs an attempt it has finished again
 * under another run, whatever the coordinator has forgotten, and never mistakes its own run's
 * duplicates for an earlier run.
 */
class RunIdTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long FIRST_RUN = 111;
    private static final long RE_RUN = 222;

    private ParticipantCore core;

    @BeforeEach
    void seededInventory() {
        core = new ParticipantCore(new InventoryService());
        core.finishLoading(NOW, new MemoryWriter());
    }

    private static ParticipantRequest prepare(String tid, long run) {
        return ParticipantRequest.newBuilder().setPrepare(Prepare.newBuilder().setAttemptId(tid).setRunId(run)
                .setRequestDigest(7)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku("sku-0001").setQty(2))))
                .build();
    }

    private static ParticipantRequest rollback(String tid, long run) {
        return ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder().setAttemptId(tid).setRunId(run)).build();
    }

    private ParticipantResponse send(ParticipantRequest request) {
        return core.handle(request, NOW, false, new MemoryWriter());
    }

    private Vote vote(ParticipantRequest prepare) {
        return send(prepare).getVote();
    }

    private Ack ack(ParticipantRequest request) {
        return send(request).getAck();
    }

    @Test
    void aRollbackThatFinishedTheFirstRunRefusesAReRunOfItsAttempt() {
        send(prepare("t#1", FIRST_RUN));
        send(rollback("t#1", FIRST_RUN));
        Map<String, Long> totals = core.service().totals();

        Vote again = vote(prepare("t#1", RE_RUN));

        assertThat(again.getYes()).isFalse();
        assertThat(again.getCode()).isEqualTo(VoteCode.EARLIER_RUN);
        assertThat(again.getMessage()).contains("t#1 already ran here").contains("ROLLED_BACK");
        assertThat(core.service().totals()).as("nothing reserved again").isEqualTo(totals);
    }

    @Test
    void aCommittedAttemptIsNeverPreparedAgainUnderAnotherRun() {
        send(prepare("t#1", FIRST_RUN));
        send(commit("t#1"));

        assertThat(vote(prepare("t#1", RE_RUN)).getCode()).isEqualTo(VoteCode.EARLIER_RUN);
        assertThat(vote(prepare("t#1", FIRST_RUN)).getYes()).as("its own run's duplicate: the first answer")
                .isTrue();
    }

    @Test
    void aNoVoteOfAnEarlierRunIsNotReplayedToAnother() {
        ParticipantRequest unknownSku = ParticipantRequest.newBuilder().setPrepare(prepare("t#1", FIRST_RUN)
                .getPrepare().toBuilder().setInventory(InventoryRequest.newBuilder()
                        .addItems(Item.newBuilder().setSku("sku-9999").setQty(1)))).build();
        Vote first = send(unknownSku).getVote();

        Vote again = vote(prepare("t#1", RE_RUN));
        assertThat(again.getCode()).as("a replayed LOCKED could make the re-run retry under a new id and commit")
                .isEqualTo(VoteCode.EARLIER_RUN);
        assertThat(again.getEarlierVote()).as("the earlier run's NO, for a coordinator that learns that run was lost")
                .isEqualTo(first);
    }

    @Test
    void aRolledBackAttemptNeverVotesYesAgainEvenInItsOwnRun() {
        send(prepare("t#1", FIRST_RUN));
        send(rollback("t#1", FIRST_RUN));

        Vote duplicate = vote(prepare("t#1", FIRST_RUN));

        assertThat(duplicate.getYes()).isFalse();
        assertThat(duplicate.getCode()).isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
    }

    @Test
    void aRunWhoseBeginNeverReachedTheLogIsTakenOverWhilePrepared() {
        assertThat(vote(prepare("t#1", FIRST_RUN)).getYes()).isTrue();

        assertThat(vote(prepare("t#1", RE_RUN)).getYes()).as("the log's decision for the id settles both").isTrue();
        send(rollback("t#1", RE_RUN));

        assertThat(vote(prepare("t#1", RE_RUN)).getCode()).as("the new run finished it")
                .isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
        assertThat(vote(prepare("t#1", FIRST_RUN)).getCode()).as("the old run is the earlier one now")
                .isEqualTo(VoteCode.EARLIER_RUN);
        assertThat(core.service().totals().get("reserved")).isZero();
    }

    @Test
    void aRollbackOfAReRunSaysTheAttemptFinishedInAnEarlierRunAndChangesNothing() {
        send(prepare("t#1", FIRST_RUN));
        send(commit("t#1"));
        Map<String, Long> totals = core.service().totals();

        Ack ack = ack(rollback("t#1", RE_RUN));

        assertThat(ack.getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(ack.getEarlierRun()).isTrue();
        assertThat(core.protocolErrors()).as("the re-run never prepared here: no conflict").isZero();
        assertThat(core.service().totals()).isEqualTo(totals);
        assertThat(ack(rollback("t#1", FIRST_RUN)).getEarlierRun()).isFalse();
    }

    @Test
    void aTombstoneRemembersTheRunThatLeftIt() {
        send(rollback("t#1", FIRST_RUN));

        assertThat(vote(prepare("t#1", FIRST_RUN)).getCode()).isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
        assertThat(vote(prepare("t#1", RE_RUN)).getCode()).isEqualTo(VoteCode.EARLIER_RUN);
        assertThat(ack(rollback("t#1", RE_RUN)).getEarlierRun()).isTrue();
    }

    @Test
    void anUnknownRunMatchesAnyAsBefore() {
        send(prepare("t#1", 0));
        send(commit("t#1"));

        assertThat(vote(prepare("t#1", RE_RUN)).getYes()).as("a store from before runs: a duplicate").isTrue();
        assertThat(ack(rollback("t#1", 0)).getEarlierRun()).isFalse();
    }

    @Test
    void theRunSurvivesAReload() throws Exception {
        MemoryWriter disk = new MemoryWriter();
        core.handle(prepare("t#1", FIRST_RUN), NOW, false, disk);
        core.handle(rollback("t#1", FIRST_RUN), NOW, false, disk);

        ParticipantCore reloaded = new ParticipantCore(new InventoryService());
        for (Map.Entry<String, byte[]> e : disk.store().entrySet()) {
            reloaded.load(e.getKey(), e.getValue());
        }
        reloaded.finishLoading(NOW, new MemoryWriter());

        assertThat(reloaded.handle(prepare("t#1", RE_RUN), NOW, false, new MemoryWriter()).getVote().getCode())
                .isEqualTo(VoteCode.EARLIER_RUN);
    }
}
