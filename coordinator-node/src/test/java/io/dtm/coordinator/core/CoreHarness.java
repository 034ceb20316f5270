package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the tests of the two-phase-commit core share: a core, a clock the test moves, the requests,
 * votes and log results they feed it, and the picking out of the actions it answers with. A test
 * class extends it and drives {@link #core} event by event, moving {@link #now} itself.
 */
abstract class CoreHarness {
    static final CoordinatorSettings SETTINGS = new CoordinatorSettings("coordinator:n1", 3, 50, 2_000, 10_000, 5, 20,
            1_000, 100, TestDigest.KEYED);
    static final List<ServiceName> ALL = List.of(ServiceName.values());

    long now = 1_000_000;
    CoordinatorCore core;

    /** A core on {@link #SETTINGS} whose random source (lock backoff jitter, run ids) has seed 7. */
    CoreHarness() {
        this(7);
    }

    /** A core on {@link #SETTINGS} whose random source has {@code seed}. */
    CoreHarness(long seed) {
        core = new CoordinatorCore(SETTINGS, new Random(seed));
    }

    // ------------------------------------------------------------------ requests and answers

    /** A four-service order. */
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

    // ------------------------------------------------------------------ feeding events

    /** Submits {@link #order} under {@code tid}, which must start; returns what it set off. */
    List<Action> start(String tid) {
        CoordinatorCore.Submitted s = core.submit(valid(order(tid)), now);
        assertThat(s).isInstanceOf(CoordinatorCore.Started.class);
        return ((CoordinatorCore.Started) s).actions();
    }

    /** Every participant votes YES; returns the actions of the last vote. */
    List<Action> allYes(String attemptId) {
        List<Action> last = List.of();
        for (ServiceName s : ALL) {
            last = core.voted(attemptId, s, yes(), now);
        }
        return last;
    }

    /**
     * Starts {@code tid} and takes its first attempt through Begin and every YES vote to a COMMIT in
     * the log; returns what the decision's result set off (the answer, the COMMITs).
     */
    List<Action> committed(String tid) {
        start(tid);
        String attemptId = tid + "#1";
        core.beginApplied(attemptId, BEGUN, now);
        allYes(attemptId);
        return core.decideApplied(attemptId, applied(Outcome.COMMIT, TxnStatus.DECIDED), now);
    }

    // ------------------------------------------------------------------ picking out the actions

    static <T extends Action> List<T> only(List<Action> actions, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (Action a : actions) {
            if (type.isInstance(a)) {
                out.add(type.cast(a));
            }
        }
        return out;
    }

    /** The one record the actions append. */
    static TxnRecord appended(List<Action> actions) {
        List<Action.Append> appends = only(actions, Action.Append.class);
        assertThat(appends).hasSize(1);
        return appends.get(0).record();
    }

    /** The one answer the actions give the client. */
    static SubmitResult reply(List<Action> actions) {
        List<Action.Reply> replies = only(actions, Action.Reply.class);
        assertThat(replies).hasSize(1);
        return replies.get(0).result();
    }
}
