package io.dtm.participant.domain;

import static io.dtm.participant.domain.Fixtures.NOW;
import static io.dtm.participant.domain.Fixtures.line;
import static io.dtm.participant.domain.Fixtures.order;
import static io.dtm.participant.domain.Fixtures.prepare;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtm.config.ServiceName;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.OrderHold;
import io.dtm.participant.store.OrderRecord;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.VoteCode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OrderServiceTest {

    private final OrderService service = new OrderService();
    private final MemoryWriter out = new MemoryWriter();

    @Test
    void seedWritesNothing() {
        service.seed(out);

        assertThat(out.changes()).isEmpty();
        assertThat(service.totals()).containsExactly(Map.entry("confirmed", 0L), Map.entry("pending", 0L));
        assertThat(service.name()).isEqualTo(ServiceName.ORDER);
    }

    @Test
    void yesCreatesAPendingOrderAndHoldsIt() {
        Decision decision = service.prepare("t-1", prepare(order("o-1")), NOW, out);

        assertThat(decision.isYes()).isTrue();
        assertThat(decision.hold()).isEqualTo(hold("o-1"));
        OrderRecord pending = OrderRecord.newBuilder().setOrderId("o-1").setAttemptId("t-1").setCustomer("c-1")
                .addAllLines(order("o-1").getLinesList()).setStatus(OrderRecord.Status.PENDING).setVersion(1).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/order/o-1", pending));
        assertThat(service.totals()).containsExactly(Map.entry("confirmed", 0L), Map.entry("pending", 1L));
        assertThat(service.heldRecords()).isEqualTo(1);
        assertThat(service.describe(decision.hold())).containsExactly("order o-1 (3 lines, 7500 cents)");
    }

    @Test
    void malformedRequestsNameTheField() {
        refused(Prepare.getDefaultInstance(), VoteCode.INVALID_REQUEST, "order request missing");
        refused(prepare(Fixtures.shipping("o-1", "2026-12-24")), VoteCode.INVALID_REQUEST,
                "expected an order request, got a shipping request");
        refused(prepare(order("")), VoteCode.INVALID_REQUEST, "order_id: missing");
        refused(prepare(order("o".repeat(129))), VoteCode.INVALID_REQUEST,
                "order_id: longer than 128 characters (got 129)");
        refused(prepare(order("o-1").setCustomer("")), VoteCode.INVALID_REQUEST, "customer: missing");
        refused(prepare(order("o-1").clearLines()), VoteCode.INVALID_REQUEST, "lines: must not be empty");
        refused(prepare(order("o-1").addLines(line("", 1, 1))), VoteCode.INVALID_REQUEST, "lines[3].sku: missing");
        refused(prepare(order("o-1").addLines(line("sku-0001", 0, 1))), VoteCode.INVALID_REQUEST,
                "lines[3].qty: must be positive, got 0");
        refused(prepare(order("o-1").addLines(line("sku-0001", 1, -1))), VoteCode.INVALID_REQUEST,
                "lines[3].price_cents: must not be negative, got -1");
        assertThat(service.prepare("t-2", prepare(order("o".repeat(128)).addLines(line("free", 1, 0))), NOW, out)
                .isYes()).isTrue();
    }

    @Test
    void anOrderIdTakenByAPendingOrConfirmedOrderIsADuplicateNotALock() {
        service.prepare("t-9", prepare(order("o-1")), NOW, out);
        Decision confirmed = service.prepare("t-8", prepare(order("o-2")), NOW, out);
        service.commit("t-8", confirmed.hold(), out);
        out.clearChanges();

        refused(prepare(order("o-1")), VoteCode.DUPLICATE_ORDER, "order o-1 already exists (transaction t-9)");
        refused(prepare(order("o-2")), VoteCode.DUPLICATE_ORDER, "order o-2 already exists (transaction t-8)");
    }

    @Test
    void aTransactionDoesNotConflictWithItsOwnPendingOrder() {
        Decision first = service.prepare("t-1", prepare(order("o-1")), NOW, out);
        out.clearChanges();

        Decision again = service.prepare("t-1", prepare(order("o-1")), NOW, out);

        assertThat(again.isYes()).isTrue();
        assertThat(again.hold()).isEqualTo(first.hold());
        assertThat(out.changes()).isEmpty();
        assertThat(service.totals()).containsEntry("pending", 1L);
    }

    @Test
    void commitConfirmsBumpsTheVersionAndReleases() {
        Hold hold = service.prepare("t-1", prepare(order("o-1")), NOW, out).hold();
        out.clearChanges();

        service.commit("t-1", hold, out);

        assertThat(out.changedKeys()).containsExactly("rec/order/o-1");
        assertThat(out.changes().get(0).value()).isEqualTo(service.find("o-1"));
        assertThat(service.find("o-1").getStatus()).isEqualTo(OrderRecord.Status.CONFIRMED);
        assertThat(service.find("o-1").getVersion()).isEqualTo(2);
        assertThat(service.heldRecords()).isZero();
        assertThat(service.totals()).containsExactly(Map.entry("confirmed", 1L), Map.entry("pending", 0L));
        assertThat(service.describe(hold)).containsExactly("order o-1 (3 lines, 7500 cents)");
    }

    @Test
    void rollbackDeletesTheOrderSoItsIdIsFreeAgain() {
        Hold hold = service.prepare("t-1", prepare(order("o-1")), NOW, out).hold();
        out.clearChanges();

        service.rollback("t-1", hold, out);

        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/order/o-1", null));
        assertThat(service.find("o-1")).isNull();
        assertThat(service.heldRecords()).isZero();
        assertThat(service.describe(hold)).containsExactly("order o-1");
        Decision reuse = service.prepare("t-2", prepare(order("o-1").clearLines().addLines(line("s", 1, 5))), NOW,
                out);
        assertThat(reuse.isYes()).isTrue();
        assertThat(service.describe(reuse.hold())).containsExactly("order o-1 (1 line, 5 cents)");
    }

    @Test
    void finishingSomeoneElsesOrderIsACallerBug() {
        service.prepare("t-1", prepare(order("o-1")), NOW, out);

        assertThatThrownBy(() -> service.commit("t-2", hold("o-1"), out)).isInstanceOf(IllegalStateException.class)
                .hasMessage("transaction t-2 has no order o-1");
        assertThat(service.find("o-1").getStatus()).isEqualTo(OrderRecord.Status.PENDING);
    }

    @Test
    void describeCountsCentsBeyondInt64() {
        Hold hold = service.prepare("t-1", prepare(order("o-1").clearLines()
                .addLines(line("a", Long.MAX_VALUE, 2))), NOW, out).hold();

        assertThat(service.describe(hold)).containsExactly("order o-1 (1 line, 18446744073709551614 cents)");
    }

    @Test
    void countsMatchTheCommittedAndOpenPreparesOverARandomRun() {
        Random random = new Random(11);
        Map<String, Hold> prepared = new LinkedHashMap<>();
        long committed = 0;
        for (int op = 0; op < 5_000; op++) {
            if (prepared.isEmpty() || random.nextInt(3) == 0) {
                String tid = "t-" + op;
                // Few ids, so duplicates of pending, confirmed and rolled-back orders all happen.
                Decision decision = service.prepare(tid, prepare(order("o-" + random.nextInt(3_000))), NOW, out);
                if (decision.isYes()) {
                    prepared.put(tid, decision.hold());
                } else {
                    assertThat(decision.vote().getCode()).isEqualTo(VoteCode.DUPLICATE_ORDER);
                }
            } else {
                String tid = new ArrayList<>(prepared.keySet()).get(random.nextInt(prepared.size()));
                Hold hold = prepared.remove(tid);
                if (random.nextBoolean()) {
                    service.commit(tid, hold, out);
                    committed++;
                } else {
                    service.rollback(tid, hold, out);
                }
            }
        }
        assertThat(service.totals()).containsExactly(Map.entry("confirmed", committed),
                Map.entry("pending", (long) prepared.size()));
        assertThat(service.heldRecords()).isEqualTo(prepared.size());
        assertThat(committed).isPositive();
    }

    @Test
    void persistedRecordsAndRestoredHoldsRebuildTheSameService() throws Exception {
        MemoryWriter store = new MemoryWriter();
        OrderService before = new OrderService();
        before.seed(store);
        Hold committed = before.prepare("t-1", prepare(order("o-1")), NOW, store).hold();
        before.commit("t-1", committed, store);
        Hold rolledBack = before.prepare("t-2", prepare(order("o-2")), NOW, store).hold();
        before.rollback("t-2", rolledBack, store);
        Hold stillPrepared = before.prepare("t-3", prepare(order("o-3")), NOW, store).hold();
        before.endBatch(store); // the batch boundary writes the counts

        OrderService after = new OrderService();
        store.loadInto(after);
        after.restore("t-3", stillPrepared);

        assertThat(after.totals()).isEqualTo(before.totals());
        assertThat(after.heldRecords()).isEqualTo(before.heldRecords());
        for (OrderService service : List.of(before, after)) {
            MemoryWriter scratch = new MemoryWriter();
            assertThat(service.prepare("t-4", prepare(order("o-3")), NOW, scratch).vote().getMessage())
                    .isEqualTo("order o-3 already exists (transaction t-3)");
            assertThat(service.prepare("t-4", prepare(order("o-2")), NOW, scratch).isYes()).isTrue();
        }
        after.commit("t-3", stillPrepared, new MemoryWriter());
        assertThat(after.find("o-3").getVersion()).isEqualTo(2);
    }

    @Test
    void anEvictedOrderIsReadBackSoItsIdStaysTakenAndItsTransactionCanFinish() {
        MemoryWriter store = new MemoryWriter(); // written at once: every change is read back at once
        OrderService bounded = new OrderService(store, 1);
        Hold confirmed = bounded.prepare("t-1", prepare(order("o-1")), NOW, store).hold();
        bounded.commit("t-1", confirmed, store);
        Hold pending = bounded.prepare("t-2", prepare(order("o-2")), NOW, store).hold();
        bounded.endBatch(store);
        bounded.prepare("t-3", prepare(order("o-3")), NOW, store);
        bounded.endBatch(store); // only o-3 is left in memory
        int reads = store.gets();

        Decision reused = bounded.prepare("t-4", prepare(order("o-1")), NOW, store);
        assertThat(reused.vote().getCode()).isEqualTo(VoteCode.DUPLICATE_ORDER);
        assertThat(reused.vote().getMessage()).isEqualTo("order o-1 already exists (transaction t-1)");
        bounded.endBatch(store);
        bounded.commit("t-2", pending, store);
        bounded.endBatch(store); // o-1 goes again
        assertThat(bounded.describe(confirmed)).containsExactly("order o-1 (3 lines, 7500 cents)");

        assertThat(store.gets() - reads).as("o-1 twice, o-2 once, from the store").isEqualTo(3);
        assertThat(bounded.find("o-2").getStatus()).isEqualTo(OrderRecord.Status.CONFIRMED);
        assertThat(bounded.find("o-2").getVersion()).isEqualTo(2);
        assertThat(bounded.totals()).containsExactly(Map.entry("confirmed", 2L), Map.entry("pending", 1L));
        assertThat(bounded.heldRecords()).isEqualTo(1);
    }

    @Test
    void aTinyCacheDecidesAndCountsAsIfEveryOrderWereInMemory() {
        MemoryWriter store = new MemoryWriter();
        OrderService bounded = new OrderService(store, 2);
        Fixtures.sideBySide(service, bounded, store, 23, random -> prepare(order("o-" + random.nextInt(1_000))));
        assertThat(bounded.heldRecords()).isEqualTo(service.heldRecords());
        assertThat(store.gets()).as("orders were read back from the store").isGreaterThan(1_000);
    }

    private void refused(Prepare request, VoteCode code, String message) {
        Fixtures.refused(service, service::heldRecords, out, request, code, message);
    }

    private static Hold hold(String orderId) {
        return Hold.newBuilder().setOrder(OrderHold.newBuilder().setOrderId(orderId)).build();
    }
}
