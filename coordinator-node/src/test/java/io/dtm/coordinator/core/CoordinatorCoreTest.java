package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The two-phase-commit core, event by event, with a clock the test moves. */
class CoordinatorCoreTest {
    static final CoordinatorSettings SETTINGS = new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20,
            1_000, 100);
    static final List<ServiceName> ALL = List.of(ServiceName.values());

    long now = 1_000_000;
    CoordinatorCore core = new CoordinatorCore(SETTINGS, new Random(7));

    // ------------------------------------------------------------------ requests and answers

    static SubmitRequest order(String tid) {
        return SubmitRequest.newBuilder().setTid(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku("sku-0001").setQty(2)))
                .setPayment(PaymentRequest.newBuilder().setAccount("acct-0001").setCard("4111111111111111")
                        .setExpiry("12/30").setAmountCents(2500))
                .setOrder(OrderRequest.newBuilder().setOrderId("o-" + tid).setCustomer("acct-0001")
                        .addLines(OrderLine.newBuilder().setSku("sku-0001").setQty(2).setPriceCents(1250)))
                .setShipping(ShippingRequest.newBuilder().setOrderId("o-" + tid).setDate("2026-12-24")
                        .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345")
                                .setCountry("US")))
                .build();
    }

    static TxnRequest valid(SubmitRequest r) {
        return ((TxnRequest.Valid) TxnRequest.validate(r, SETTINGS)).request();
    }

    static RecordResult applied(Outcome outcome, TxnStatus status) {
        return RecordResult.newBuilder().setDisposition(Disposition.APPLIED).setOutcome(outcome).setStatus(status).build();
    }

    static final RecordResult BEGUN = applied(Outcome.UNDECIDED, TxnStatus.IN_FLIGHT);
    static final RecordResult ENDED = RecordResult.newBuilder().setDisposition(Disposition.APPLIED)
            .setStatus(TxnStatus.ENDED).build();

    static Vote yes() {
        return Vote.newBuilder().setYes(true).setCode(VoteCode.YES).build();
    }

    static Vote no(VoteCode code, String message) {
        return Vote.newBuilder().setYes(false).setCode(code).setMessage(message).build();
    }

    List<Action> start(String tid) {
        CoordinatorCore.Submitted s = core.submit(valid(order(tid)), now);
        assertThat(s).isInstanceOf(CoordinatorCore.Started.class);
        return ((CoordinatorCore.Started) s).actions();
    }

    static <T extends Action> List<T> only(List<Action> actions, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Action a : actions) {
            if (type.isInstance(a)) {
                out.add(type.cast(a));
            }
        }
        return out;
    }

    static TxnRecord appended(List<Action> actions) {
        List<Action.Append> appends = only(actions, Action.Append.class);
        assertThat(appends).hasSize(1);
        return appends.get(0).record();
    }

    static SubmitResult reply(List<Action> actions) {
        List<Action.Reply> replies = only(actions, Action.Reply.class);
        assertThat(replies).hasSize(1);
        return replies.get(0).result();
    }

    /** Every participant votes YES; returns the actions of the last vote. */
    List<Action> allYes(String attemptId) {
        List<Action> last = List.of();
        for (ServiceName s : ALL) {
            last = core.voted(attemptId, s, yes(), now);
        }
        return last;
    }

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
        start("t-1");
        core.beginApplied("t-1#1", BEGUN, now);
        allYes("t-1#1");
        core.decideApplied("t-1#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);
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
                .setStatus(TxnStatus.ENDED).setReason("payment: in doubt").setDetail("already ended").build();

        List<Action> actions = core.beginApplied("o-2#1", ended, now);

        assertThat(only(actions, Action.Append.class)).as("the log's word stands: no second decision").isEmpty();
        assertThat(only(actions, Action.ReadLog.class)).as("was it the tid's last attempt?").singleElement()
                .satisfies(r -> assertThat(r.attemptId()).isEqualTo("o-2#2"));
        SubmitResult result = reply(core.logRead("o-2#2", TxnState.newBuilder().setAttemptId("o-2#2")
                .setStatus(TxnStatus.UNKNOWN).build(), now));
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getReason()).isEqualTo("payment: in doubt");
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

    @Test
    void whenAnInDoubtParticipantsAbortReachedTheLogFirstItsOutcomeStands() {
        start("t-6");
        core.beginApplied("t-6#1", BEGUN, now);
        allYes("t-6#1");
        RecordResult lost = RecordResult.newBuilder().setDisposition(Disposition.DUPLICATE).setOutcome(Outcome.ABORT)
                .setStatus(TxnStatus.DECIDED).setReason("payment: no decision after 15000 ms in doubt").build();

        List<Action> actions = core.decideApplied("t-6#1", lost, now);

        assertThat(only(actions, Action.SendRollback.class)).hasSize(4);
        assertThat(only(actions, Action.SendCommit.class)).isEmpty();
        assertThat(only(actions, Action.ReadLog.class)).as("is there a later attempt? (no: this one is the last)")
                .singleElement().satisfies(r -> assertThat(r.attemptId()).isEqualTo("t-6#2"));
        List<Action> answered = core.logRead("t-6#2", TxnState.newBuilder().setAttemptId("t-6#2")
                .setStatus(TxnStatus.UNKNOWN).build(), now);
        assertThat(reply(answered).getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(reply(answered).getReason()).contains("in doubt");
    }

    // ------------------------------------------------------------------ conflicts

    @Nested
    class Locked {
        private static final String HELD = "sku-0001 is held by prepared transaction t-0#1";

        @Test
        void aLockedVoteBeginsTheNextAttemptBeforeAbortingThisOneAndPreparesAfterABackoff() {
            start("t-7");
            core.beginApplied("t-7#1", BEGUN, now);

            List<Action> locked = core.voted("t-7#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, HELD), now);
            assertThat(appended(locked).getBegin().getAttemptId()).as("the successor's Begin goes first").isEqualTo("t-7#2");
            assertThat(only(locked, Action.SendPrepare.class)).isEmpty();

            List<Action> begun = core.beginApplied("t-7#2", BEGUN, now);
            assertThat(appended(begun).getDecide().getAttemptId()).isEqualTo("t-7#1");
            assertThat(appended(begun).getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
            assertThat(only(begun, Action.SendPrepare.class)).as("the backoff is not over").isEmpty();
            List<Action> decided = core.decideApplied("t-7#1", applied(Outcome.ABORT, TxnStatus.DECIDED), now);
            assertThat(only(decided, Action.Reply.class)).as("no answer yet: it tries again").isEmpty();
            assertThat(only(decided, Action.SendRollback.class)).as("attempt 1 rolls back").hasSize(4);

            now += 1_000;
            assertThat(only(core.tick(now), Action.SendPrepare.class))
                    .as("attempt 1 has not finished rolling back: the two must not meet at a participant").isEmpty();
            List<Action> retry = List.of();
            for (ServiceName service : ALL) {
                retry = core.acknowledged("t-7#1", service, LocalState.ROLLED_BACK, false, now);
            }
            assertThat(only(retry, Action.SendPrepare.class)).hasSize(4)
                    .allSatisfy(p -> assertThat(p.prepare().getAttemptId()).isEqualTo("t-7#2"));
            allYes("t-7#2");
            SubmitResult result = reply(core.decideApplied("t-7#2", applied(Outcome.COMMIT, TxnStatus.DECIDED), now));
            assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
            assertThat(result.getAttempts()).isEqualTo(2);
        }

        @Test
        void aLockedVoteBeforeBeginsResultWaitsForItToKnowTheTidIsThisRequests() {
            start("t-8");
            assertThat(only(core.voted("t-8#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, HELD), now),
                    Action.Append.class)).isEmpty();
            RecordResult refused = RecordResult.newBuilder().setDisposition(Disposition.REFUSED).build();

            List<Action> actions = core.beginApplied("t-8#1", refused, now);

            assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
            assertThat(only(actions, Action.Append.class)).as("no attempt under a tid that is not ours").isEmpty();
        }

        @Test
        void afterTheLastAttemptTheClientHearsItGaveUp() {
            start("t-7");
            List<Action> last = List.of();
            for (int n = 1; n <= SETTINGS.maxAttempts(); n++) {
                String attempt = "t-7#" + n;
                core.beginApplied(attempt, BEGUN, now);
                now += 1_000;
                core.tick(now);
                last = core.voted(attempt, ServiceName.INVENTORY, no(VoteCode.LOCKED, HELD), now);
                if (n < SETTINGS.maxAttempts()) {
                    core.beginApplied("t-7#" + (n + 1), BEGUN, now);
                }
                last = core.decideApplied(attempt, applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                        .setReason("inventory: LOCKED: " + HELD).build(), now);
            }

            SubmitResult result = reply(last);
            assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
            assertThat(result.getAttempts()).isEqualTo(SETTINGS.maxAttempts());
            assertThat(result.getReason()).contains("LOCKED").contains("gave up after 5 attempts");
        }
    }

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
        core = new CoordinatorCore(new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20, 1, 100),
                new Random(1));
        start("a");

        CoordinatorCore.Submitted s = core.submit(valid(order("b")), now);

        assertThat(((CoordinatorCore.Answered) s).overloaded()).isTrue();
        assertThat(((CoordinatorCore.Answered) s).result().getStatus()).isEqualTo(SubmitResult.Status.OVERLOADED);
        assertThat(((CoordinatorCore.Answered) s).result().getReason()).contains("overloaded");
    }

    @Test
    void answeredTransactionsStillInPhaseTwoDoNotCountAgainstTheInFlightBound() {
        core = new CoordinatorCore(new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20, 2, 100),
                new Random(1));
        start("a");
        core.beginApplied("a#1", BEGUN, now);
        allYes("a#1");
        assertThat(reply(core.decideApplied("a#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now)).getStatus())
                .isEqualTo(SubmitResult.Status.COMMITTED);
        // "a" is answered; its COMMITs are not acknowledged (a participant is down): not in the way.
        start("b");

        CoordinatorCore.Submitted third = core.submit(valid(order("c")), now);

        assertThat(third).isInstanceOf(CoordinatorCore.Started.class);
        assertThat(core.phase2Backlog()).isEqualTo(1);
    }

    @Test
    void aServiceThatStopsAcknowledgingTurnsAwayOnlyTheTransactionsThatNeedIt() {
        core = new CoordinatorCore(new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20, 1, 100),
                new Random(1));
        start("a");
        core.beginApplied("a#1", BEGUN, now);
        allYes("a#1");
        core.decideApplied("a#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);
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

    // ------------------------------------------------------------------ leadership

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

    // ------------------------------------------------------------------ one-phase commit

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
                .setRequestDigest(valid(order("t-9")).digest()).build();
        core.recover(List.of(undecided), now);

        assertThat(core.submit(valid(order("t-9")), now)).isInstanceOf(CoordinatorCore.Joined.class);
        List<Action> decided = core.decideApplied("t-9#1", applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                .setReason("coordinator failover before decision").build(), now);
        assertThat(only(decided, Action.ReadLog.class)).as("no later attempt?").hasSize(1);
        assertThat(only(core.logRead("t-9#2", TxnState.newBuilder().setAttemptId("t-9#2").setStatus(TxnStatus.UNKNOWN)
                .build(), now), Action.Reply.class)).as("no participant answered this run yet").isEmpty();
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

    // ------------------------------------------------------------------ phase-2 failures and log failures

    @Test
    void unacknowledgedPhaseTwoMessagesAreResentUntilAcknowledged() {
        start("p-1");
        core.beginApplied("p-1#1", BEGUN, now);
        allYes("p-1#1");
        core.decideApplied("p-1#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);
        for (int i = 0; i < 6; i++) {
            core.phase2Failed("p-1#1", ServiceName.ORDER, now);
            now += 2_000;
            assertThat(only(core.tick(now), Action.SendCommit.class)).singleElement()
                    .satisfies(c -> assertThat(c.service()).isEqualTo(ServiceName.ORDER));
        }
    }

    @Test
    void aRefusedCommitIsAnInvariantViolationThatKeepsTheAttemptUnfinishedAndReported() {
        start("p-2");
        core.beginApplied("p-2#1", BEGUN, now);
        allYes("p-2#1");
        core.decideApplied("p-2#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);
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
        start("p-3");
        core.beginApplied("p-3#1", BEGUN, now);
        allYes("p-3#1");
        core.decideApplied("p-3#1", applied(Outcome.COMMIT, TxnStatus.DECIDED), now);

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
