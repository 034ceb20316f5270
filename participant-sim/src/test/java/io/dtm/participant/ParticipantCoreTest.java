package io.dtm.participant;

import io.dtm.participant.domain.InventoryService;
import io.dtm.participant.domain.MemoryWriter;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.ListTxns;
import io.dtm.protocol.participant.ListedTxn;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Query;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.VoteCode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The local transaction table: every message in every local state, duplicated, reordered, or
 * arriving after its opposite, over the real Inventory service.
 */
class ParticipantCoreTest {
    private static final long NOW = 1_800_000_000_000L;

    private ParticipantCore core;
    private MemoryWriter disk;

    @BeforeEach
    void seededInventory() {
        core = new ParticipantCore(new InventoryService());
        disk = new MemoryWriter();
        core.finishLoading(NOW, disk);
    }

    static ParticipantRequest prepare(String tid, String sku, long qty) {
        return ParticipantRequest.newBuilder().setPrepare(Prepare.newBuilder().setAttemptId(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(qty)))).build();
    }

    /** A reservation that names the version it read: it holds the SKU alone. */
    static ParticipantRequest prepareVersioned(String tid, String sku, long qty, long expectedVersion) {
        return ParticipantRequest.newBuilder().setPrepare(Prepare.newBuilder().setAttemptId(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(qty)
                        .setExpectedVersion(expectedVersion)))).build();
    }

    static ParticipantRequest commit(String tid) {
        return ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setAttemptId(tid)).build();
    }

    static ParticipantRequest rollback(String tid) {
        return ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder().setAttemptId(tid)).build();
    }

    private ParticipantResponse send(ParticipantRequest request) {
        return core.handle(request, NOW, false, disk);
    }

    /** Where a tid stands before the message under test, and how to get it there. */
    enum Start {
        NONE,
        PREPARED(prepare("t", "sku-0001", 5)),
        VOTED_NO(prepare("t", "sku-9999", 5)),
        COMMITTED(prepare("t", "sku-0001", 5), commit("t")),
        ROLLED_BACK(prepare("t", "sku-0001", 5), rollback("t")),
        TOMBSTONE(rollback("t"));

        final ParticipantRequest[] setup;

        Start(ParticipantRequest... setup) {
            this.setup = setup;
        }
    }

    enum Msg {
        PREPARE(prepare("t", "sku-0001", 5)),
        COMMIT(commit("t")),
        ROLLBACK(rollback("t"));

        final ParticipantRequest request;

        Msg(ParticipantRequest request) {
            this.request = request;
        }
    }

    /** What the reply must be: a vote (yes/no and code), an ack with a state, or an error code. */
    record Expect(String kind, String detail) {
        static Expect yes() {
            return new Expect("vote", "YES");
        }

        static Expect no(VoteCode code) {
            return new Expect("vote", code.name());
        }

        static Expect ack(LocalState state) {
            return new Expect("ack", state.name());
        }

        static Expect error(ErrorCode code) {
            return new Expect("error", code.name());
        }

        void check(ParticipantResponse r) {
            switch (kind) {
                case "vote" -> assertThat(r.getVote().getCode().name()).as(r.toString()).isEqualTo(detail);
                case "ack" -> assertThat(r.getAck().getState().name()).as(r.toString()).isEqualTo(detail);
                default -> assertThat(ErrorCode.of(r.getError()).name()).as(r.toString()).isEqualTo(detail);
            }
        }
    }

    static Stream<Arguments> matrix() {
        return Stream.of(
                Arguments.of(Start.NONE, Msg.PREPARE, Expect.yes(), LocalState.PREPARED),
                Arguments.of(Start.NONE, Msg.COMMIT, Expect.error(ErrorCode.NOT_FOUND), LocalState.NONE),
                Arguments.of(Start.NONE, Msg.ROLLBACK, Expect.ack(LocalState.ROLLED_BACK), LocalState.ROLLED_BACK),

                Arguments.of(Start.PREPARED, Msg.PREPARE, Expect.yes(), LocalState.PREPARED),
                Arguments.of(Start.PREPARED, Msg.COMMIT, Expect.ack(LocalState.COMMITTED), LocalState.COMMITTED),
                Arguments.of(Start.PREPARED, Msg.ROLLBACK, Expect.ack(LocalState.ROLLED_BACK), LocalState.ROLLED_BACK),

                Arguments.of(Start.VOTED_NO, Msg.PREPARE, Expect.no(VoteCode.UNKNOWN_SKU), LocalState.VOTED_NO),
                Arguments.of(Start.VOTED_NO, Msg.COMMIT, Expect.error(ErrorCode.CONFLICT), LocalState.VOTED_NO),
                Arguments.of(Start.VOTED_NO, Msg.ROLLBACK, Expect.ack(LocalState.VOTED_NO), LocalState.VOTED_NO),

                Arguments.of(Start.COMMITTED, Msg.PREPARE, Expect.yes(), LocalState.COMMITTED),
                Arguments.of(Start.COMMITTED, Msg.COMMIT, Expect.ack(LocalState.COMMITTED), LocalState.COMMITTED),
                Arguments.of(Start.COMMITTED, Msg.ROLLBACK, Expect.error(ErrorCode.CONFLICT), LocalState.COMMITTED),

                // Its YES is void once rolled back: counted again, it could let a COMMIT be decided for it.
                Arguments.of(Start.ROLLED_BACK, Msg.PREPARE, Expect.no(VoteCode.ALREADY_ROLLED_BACK), LocalState.ROLLED_BACK),
                Arguments.of(Start.ROLLED_BACK, Msg.COMMIT, Expect.error(ErrorCode.CONFLICT), LocalState.ROLLED_BACK),
                Arguments.of(Start.ROLLED_BACK, Msg.ROLLBACK, Expect.ack(LocalState.ROLLED_BACK), LocalState.ROLLED_BACK),

                Arguments.of(Start.TOMBSTONE, Msg.PREPARE, Expect.no(VoteCode.ALREADY_ROLLED_BACK), LocalState.ROLLED_BACK),
                Arguments.of(Start.TOMBSTONE, Msg.COMMIT, Expect.error(ErrorCode.CONFLICT), LocalState.ROLLED_BACK),
                Arguments.of(Start.TOMBSTONE, Msg.ROLLBACK, Expect.ack(LocalState.ROLLED_BACK), LocalState.ROLLED_BACK));
    }

    @ParameterizedTest(name = "{0} + {1} -> {2}, then {3}")
    @MethodSource("matrix")
    void everyMessageInEveryLocalState(Start start, Msg msg, Expect expect, LocalState after) {
        for (ParticipantRequest r : start.setup) {
            assertThat(send(r).hasError()).as("setup %s", r).isFalse();
        }
        Map<String, Long> totalsBefore = core.service().totals();
        long errorsBefore = core.protocolErrors();
        boolean firstPrepare = start == Start.NONE && msg == Msg.PREPARE;

        ParticipantResponse reply = send(msg.request);

        expect.check(reply);
        assertThat(core.localTxn("t").getState()).isEqualTo(after);
        boolean changesState = firstPrepare || (start == Start.PREPARED && msg != Msg.PREPARE);
        if (!changesState) {
            assertThat(core.service().totals()).as("a duplicate or refused message changes nothing")
                    .isEqualTo(totalsBefore);
        }
        if (expect.kind().equals("error")) {
            assertThat(core.protocolErrors()).as("protocol errors are counted").isEqualTo(errorsBefore + 1);
        }
    }

    @Test
    void everyLocalTransactionIsListedWithItsStateAPageAtATimeInIdOrder() {
        send(prepare("t-3#1", "sku-0001", 1));
        send(prepare("t-1#1", "sku-0002", 1));
        send(commit("t-1#1"));
        send(prepare("t-2#1", "sku-9999", 1));
        send(rollback("t-4#1"));

        var first = send(ParticipantRequest.newBuilder().setListTxns(ListTxns.newBuilder().setLimit(3)).build())
                .getTxnList();
        assertThat(first.getTxnsList()).extracting(ListedTxn::getAttemptId, ListedTxn::getState).containsExactly(
                tuple("t-1#1", LocalState.COMMITTED), tuple("t-2#1", LocalState.VOTED_NO),
                tuple("t-3#1", LocalState.PREPARED));
        assertThat(first.getNext()).isEqualTo("t-3#1");
        var second = send(ParticipantRequest.newBuilder().setListTxns(ListTxns.newBuilder().setAfter(first.getNext())
                .setLimit(3)).build()).getTxnList();
        assertThat(second.getTxnsList()).extracting(ListedTxn::getAttemptId, ListedTxn::getState)
                .containsExactly(tuple("t-4#1", LocalState.ROLLED_BACK));
        assertThat(second.getNext()).isEmpty();
    }

    @Test
    void aDuplicatePrepareAnswersTheFirstVoteAndReservesOnce() {
        ParticipantResponse first = send(prepare("t", "sku-0007", 3));
        ParticipantResponse again = send(prepare("t", "sku-0007", 3));

        assertThat(again.getVote()).isEqualTo(first.getVote());
        assertThat(core.service().totals().get("reserved")).isEqualTo(3);
    }

    @Test
    void thePreparedIndexIsPutOnceAndRemovedOnceWithASinglePutDeleteHoweverTheMessagesRepeat() {
        disk.clearChanges();
        send(prepare("t1", "sku-0001", 1));
        send(prepare("t1", "sku-0001", 1));
        send(commit("t1"));
        send(commit("t1"));
        send(rollback("t1"));
        send(prepare("t2", "sku-0001", 1));
        send(rollback("t2"));
        send(rollback("t2"));
        send(prepare("t2", "sku-0001", 1));

        // The writer throws on a single-put delete of a key put twice; here the whole history is checked.
        assertThat(disk.changes()).filteredOn(c -> c.key().startsWith(LocalTxns.PREPARED_PREFIX))
                .extracting(MemoryWriter.Change::key, c -> c.value() != null, MemoryWriter.Change::singlePut)
                .containsExactly(tuple("prep/t1", true, false), tuple("prep/t1", false, true),
                        tuple("prep/t2", true, false), tuple("prep/t2", false, true));
    }

    @Test
    void theSameAttemptIdForAnotherRequestIsRefusedAndTheFirstStaysAsItWas() {
        ParticipantRequest first = prepare("t", "sku-0001", 2);
        first = first.toBuilder().setPrepare(first.getPrepare().toBuilder().setRequestDigest(11)).build();
        ParticipantRequest other = prepare("t", "sku-0002", 9);
        other = other.toBuilder().setPrepare(other.getPrepare().toBuilder().setRequestDigest(22)).build();
        send(first);

        ParticipantResponse refused = send(other);

        assertThat(refused.getVote().getYes()).isFalse();
        assertThat(refused.getVote().getCode()).isEqualTo(VoteCode.INVALID_REQUEST);
        assertThat(refused.getVote().getMessage()).contains("another request");
        assertThat(send(first).getVote().getYes()).as("the first request's duplicate still gets YES").isTrue();
        assertThat(core.service().totals().get("reserved")).isEqualTo(2);
    }

    @Test
    void aLatePrepareAfterItsRollbackHoldsNothing() {
        send(rollback("late"));
        ParticipantResponse vote = send(prepare("late", "sku-0001", 1));

        assertThat(vote.getVote().getYes()).isFalse();
        assertThat(vote.getVote().getCode()).isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
        assertThat(core.service().totals().get("reserved")).isZero();
        assertThat(send(prepare("other", "sku-0001", 1)).getVote().getYes()).as("sku-0001 is not held").isTrue();
    }

    @Test
    void everythingReloadedFromWhatWasWrittenBehavesTheSame() throws Exception {
        send(prepareVersioned("held", "sku-0042", 2, 1));
        send(prepare("done", "sku-0043", 1));
        send(commit("done"));
        send(rollback("tomb"));

        ParticipantCore reloaded = new ParticipantCore(new InventoryService());
        for (Map.Entry<String, byte[]> e : disk.store().entrySet()) {
            reloaded.load(e.getKey(), e.getValue());
        }
        MemoryWriter seedWrites = new MemoryWriter();
        reloaded.finishLoading(NOW, seedWrites);

        assertThat(seedWrites.changes()).as("a seeded store is not seeded again").isEmpty();
        assertThat(reloaded.service().totals()).isEqualTo(core.service().totals());
        assertThat(reloaded.inspect(NOW).getStatesMap()).isEqualTo(core.inspect(NOW).getStatesMap());
        ParticipantResponse conflicting = reloaded.handle(prepare("x", "sku-0042", 1), NOW, false, new MemoryWriter());
        assertThat(conflicting.getVote().getCode()).as("the prepared hold survived").isEqualTo(VoteCode.LOCKED);
        assertThat(reloaded.handle(commit("held"), NOW, false, new MemoryWriter()).getAck().getState())
                .isEqualTo(LocalState.COMMITTED);
    }

    @Test
    void inspectCountsStatesListsPreparedWithAgeAndTotals() {
        send(prepare("a", "sku-0001", 1));
        send(prepare("b", "sku-9999", 1));
        send(prepare("c", "sku-0002", 1));
        send(commit("c"));
        send(commit("never"));

        var inspect = core.inspect(NOW + 1_500);

        assertThat(inspect.getStatesMap()).containsEntry("PREPARED", 1L).containsEntry("VOTED_NO", 1L)
                .containsEntry("COMMITTED", 1L).containsEntry("ROLLED_BACK", 0L);
        assertThat(inspect.getPreparedList()).singleElement()
                .satisfies(p -> assertThat(p.getAttemptId()).isEqualTo("a"))
                .satisfies(p -> assertThat(p.getAgeMs()).isEqualTo(1_500));
        assertThat(inspect.getTotalsMap()).containsKeys("initialStock", "available", "reserved", "sold");
        assertThat(inspect.getProtocolErrors()).isEqualTo(1);
    }

    @Test
    void forcedNoVotesNoAndHoldsNothing() {
        ParticipantResponse r = core.handle(prepare("f", "sku-0001", 1), NOW, true, disk);
        assertThat(r.getVote().getCode()).isEqualTo(VoteCode.FORCED_NO);
        assertThat(core.service().totals().get("reserved")).isZero();
    }

    @Test
    void malformedIdsAreProtocolErrorsNotVotes() {
        ParticipantResponse r = send(prepare("bad tid", "sku-0001", 1));
        assertThat(ErrorCode.of(r.getError())).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(r.getError().getMessage()).contains("outside [A-Za-z0-9._:-]");
        ParticipantResponse q = send(ParticipantRequest.newBuilder().setQuery(Query.newBuilder().setAttemptId("t#0")).build());
        assertThat(ErrorCode.of(q.getError())).isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void preparedSinceListsTheOldestFirst() {
        core.handle(prepare("old", "sku-0001", 1), NOW - 10_000, false, disk);
        core.handle(prepare("young", "sku-0002", 1), NOW - 1_000, false, disk);

        assertThat(core.preparedSince(NOW - 5_000)).extracting(ParticipantCore.InDoubt::attemptId).containsExactly("old");
        assertThat(core.preparedSince(NOW)).extracting(ParticipantCore.InDoubt::attemptId).containsExactly("old", "young");
    }
}
