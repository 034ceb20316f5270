package io.dtm.participant.domain;

import static io.dtm.participant.domain.Fixtures.NOW;
import static io.dtm.participant.domain.Fixtures.address;
import static io.dtm.participant.domain.Fixtures.prepare;
import static io.dtm.participant.domain.Fixtures.shipping;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtm.config.ServiceName;
import io.dtm.participant.store.DayRecord;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.ShipmentRecord;
import io.dtm.participant.store.ShippingHold;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.VoteCode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ShippingServiceTest {

    private static final String DATE = "2026-12-24";

    private final ShippingService service = new ShippingService();
    private final MemoryWriter out = new MemoryWriter();

    @Test
    void aTrackingIdNeverChangesBetweenReleases() {
        // Stored with every shipment and handed to customers: a restarted service must derive the same one.
        assertThat(ShippingService.trackingId("t-1", "o-1")).isEqualTo("TRK-2B0C9ABD42");
        assertThat(ShippingService.trackingId("t-1#2", "order-000042")).isEqualTo("TRK-EBA7929FA9");
    }

    @Test
    void seedWritesNothing() {
        service.seed(out);

        assertThat(out.changes()).isEmpty();
        assertThat(service.totals()).containsExactly(Map.entry("scheduled", 0L), Map.entry("pending", 0L));
        assertThat(service.name()).isEqualTo(ServiceName.SHIPPING);
    }

    @Test
    void yesTakesASlotCreatesAPendingShipmentAndHoldsIt() {
        Decision decision = service.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, out);

        assertThat(decision.isYes()).isTrue();
        assertThat(decision.hold()).isEqualTo(hold("o-1", DATE));
        ShipmentRecord pending = ShipmentRecord.newBuilder().setOrderId("o-1").setAttemptId("t-1").setDate(DATE)
                .setAddress(address()).setStatus(ShipmentRecord.Status.PENDING).setVersion(1).build();
        assertThat(out.changes()).containsExactly(
                new MemoryWriter.Change("rec/day/2026-12-24", day(1, 0)),
                new MemoryWriter.Change("rec/shipment/o-1", pending));
        assertThat(service.totals()).containsExactly(Map.entry("scheduled", 0L), Map.entry("pending", 1L));
        assertThat(service.describe(decision.hold())).containsExactly("shipment of o-1 on 2026-12-24");
    }

    @Test
    void malformedRequestsNameTheField() {
        refused(Prepare.getDefaultInstance(), VoteCode.INVALID_REQUEST, "shipping request missing");
        refused(prepare(Fixtures.order("o-1")), VoteCode.INVALID_REQUEST,
                "expected a shipping request, got an order request");
        refused(prepare(shipping(" ", DATE)), VoteCode.INVALID_REQUEST, "order_id: missing");
        refused(prepare(shipping("o-1", DATE).clearAddress()), VoteCode.INVALID_ADDRESS, "address: missing");
        refused(prepare(shipping("o-1", DATE).setAddress(address().setStreet(""))), VoteCode.INVALID_ADDRESS,
                "address.street: missing");
        refused(prepare(shipping("o-1", DATE).setAddress(address().setCity(" "))), VoteCode.INVALID_ADDRESS,
                "address.city: missing");
        refused(prepare(shipping("o-1", DATE).setAddress(address().setZip(""))), VoteCode.INVALID_ADDRESS,
                "address.zip: missing");
        refused(prepare(shipping("o-1", DATE).setAddress(address().setCountry(""))), VoteCode.INVALID_ADDRESS,
                "address.country: missing");
    }

    @Test
    void theDateMustBeARealIsoDateNotInThePast() {
        for (String bad : List.of("", "2026-13-01", "2026-02-30", "24/12/2026", "2026-1-5", "+12026-01-01")) {
            refused(prepare(shipping("o-1", bad)), VoteCode.INVALID_DATE,
                    "date \"" + bad + "\": expected a valid YYYY-MM-DD date");
        }
        refused(prepare(shipping("o-1", "2020-01-01")), VoteCode.PAST_DATE, "2020-01-01 is in the past");
        refused(prepare(shipping("o-1", "2026-06-14")), VoteCode.PAST_DATE, "2026-06-14 is in the past");
        assertThat(service.prepare("t-1", prepare(shipping("o-1", "2026-06-15")), NOW, out).isYes()).isTrue();
    }

    @Test
    void aBookedDateBecomesPastAtMidnightUtc() {
        long dayMs = 86_400_000L;
        long midnight = Math.floorDiv(NOW, dayMs) * dayMs + dayMs; // 2026-06-16T00:00Z
        assertThat(service.prepare("t-1", prepare(shipping("o-1", "2026-06-15")), midnight - 1, out).isYes()).isTrue();

        Decision late = service.prepare("t-2", prepare(shipping("o-2", "2026-06-15")), midnight, out);

        assertThat(late.vote().getCode()).isEqualTo(VoteCode.PAST_DATE);
        assertThat(late.vote().getMessage()).isEqualTo("2026-06-15 is in the past");
        assertThat(service.prepare("t-3", prepare(shipping("o-3", "2026-06-16")), midnight, out).isYes()).isTrue();
    }

    @Test
    void aSecondShipmentOfAnOrderIsADuplicateNotALock() {
        service.prepare("t-9", prepare(shipping("o-1", DATE)), NOW, out);
        Hold scheduled = service.prepare("t-8", prepare(shipping("o-2", DATE)), NOW, out).hold();
        service.commit("t-8", scheduled, out);
        out.clearChanges();

        refused(prepare(shipping("o-1", "2026-12-25")), VoteCode.DUPLICATE_ORDER,
                "shipment of order o-1 already exists (transaction t-9)");
        refused(prepare(shipping("o-2", DATE)), VoteCode.DUPLICATE_ORDER,
                "shipment of order o-2 already exists (transaction t-8)");
        // The own pending shipment is no conflict, and takes no second slot.
        Decision again = service.prepare("t-9", prepare(shipping("o-1", "2026-12-25")), NOW, out);
        assertThat(again.hold()).isEqualTo(hold("o-1", DATE));
        assertThat(out.changes()).isEmpty();
    }

    @Test
    void theDayIsAnEscrowCounterNotALock() {
        assertThat(service.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, out).isYes()).isTrue();
        assertThat(service.prepare("t-2", prepare(shipping("o-2", DATE)), NOW, out).isYes()).isTrue();

        assertThat(service.findDay(DATE)).isEqualTo(day(2, 0));
        assertThat(service.heldRecords()).isEqualTo(2);
    }

    @Test
    void aFullDayHasNoCapacityCountingPendingAndScheduled() throws Exception {
        service.load("rec/day/" + DATE, day(60_000, 39_999).toByteArray());
        assertThat(service.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, out).isYes()).isTrue();
        out.clearChanges();

        refused(prepare(shipping("o-2", DATE)), VoteCode.NO_CAPACITY,
                "2026-12-24: no capacity left (100000 of 100000 taken)");
        refused(prepare(shipping("o-1", "2026-12-25")), VoteCode.DUPLICATE_ORDER,
                "shipment of order o-1 already exists (transaction t-1)");
        assertThat(service.prepare("t-3", prepare(shipping("o-2", "2026-12-25")), NOW, out).isYes()).isTrue();
    }

    @Test
    void commitSchedulesWithADeterministicTrackingIdAndReleases() {
        Hold hold = service.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, out).hold();
        out.clearChanges();

        service.commit("t-1", hold, out);

        ShipmentRecord shipment = service.findShipment("o-1");
        assertThat(shipment.getStatus()).isEqualTo(ShipmentRecord.Status.SCHEDULED);
        assertThat(shipment.getVersion()).isEqualTo(2);
        assertThat(shipment.getTrackingId()).matches("TRK-[0-9A-F]{10}")
                .isEqualTo(ShippingService.trackingId("t-1", "o-1"))
                .isNotEqualTo(ShippingService.trackingId("t-2", "o-1"));
        assertThat(out.changes()).containsExactly(
                new MemoryWriter.Change("rec/day/2026-12-24", day(0, 1)),
                new MemoryWriter.Change("rec/shipment/o-1", shipment));
        assertThat(service.heldRecords()).isZero();
        assertThat(service.totals()).containsExactly(Map.entry("scheduled", 1L), Map.entry("pending", 0L));
    }

    @Test
    void rollbackFreesTheSlotAndDeletesTheShipment() {
        Hold hold = service.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, out).hold();
        out.clearChanges();

        service.rollback("t-1", hold, out);

        assertThat(out.changes()).containsExactly(
                new MemoryWriter.Change("rec/day/2026-12-24", day(0, 0)),
                new MemoryWriter.Change("rec/shipment/o-1", null));
        assertThat(service.findShipment("o-1")).isNull();
        assertThat(service.heldRecords()).isZero();
        assertThat(service.prepare("t-2", prepare(shipping("o-1", DATE)), NOW, out).isYes()).isTrue();
    }

    @Test
    void countsMatchTheCommittedAndOpenPreparesOverARandomRun() {
        Random random = new Random(5);
        Map<String, Hold> prepared = new LinkedHashMap<>();
        long committed = 0;
        for (int op = 0; op < 5_000; op++) {
            if (prepared.isEmpty() || random.nextInt(3) == 0) {
                String tid = "t-" + op;
                String date = "2026-12-" + (10 + random.nextInt(5));
                Decision decision = service.prepare(tid, prepare(shipping("o-" + random.nextInt(3_000), date)), NOW,
                        out);
                if (decision.isYes()) {
                    prepared.put(tid, decision.hold());
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
        assertThat(service.totals()).containsExactly(Map.entry("scheduled", committed),
                Map.entry("pending", (long) prepared.size()));
        assertThat(service.heldRecords()).isEqualTo(prepared.size());
        assertThat(committed).isPositive();
    }

    @Test
    void persistedRecordsAndRestoredHoldsRebuildTheSameService() throws Exception {
        MemoryWriter store = new MemoryWriter();
        ShippingService before = new ShippingService();
        before.seed(store);
        Hold committed = before.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, store).hold();
        before.commit("t-1", committed, store);
        Hold rolledBack = before.prepare("t-2", prepare(shipping("o-2", DATE)), NOW, store).hold();
        before.rollback("t-2", rolledBack, store);
        Hold stillPrepared = before.prepare("t-3", prepare(shipping("o-3", DATE)), NOW, store).hold();

        ShippingService after = new ShippingService();
        store.loadInto(after);
        after.restore("t-3", stillPrepared);

        assertThat(after.totals()).isEqualTo(before.totals());
        assertThat(after.heldRecords()).isEqualTo(before.heldRecords());
        assertThat(after.findShipment("o-1")).isEqualTo(before.findShipment("o-1"));
        for (ShippingService service : List.of(before, after)) {
            MemoryWriter scratch = new MemoryWriter();
            assertThat(service.prepare("t-4", prepare(shipping("o-3", DATE)), NOW, scratch).vote().getMessage())
                    .isEqualTo("shipment of order o-3 already exists (transaction t-3)");
        }
        after.commit("t-3", stillPrepared, new MemoryWriter());
        assertThat(after.totals()).containsExactly(Map.entry("scheduled", 2L), Map.entry("pending", 0L));
    }

    @Test
    void anEvictedShipmentIsReadBackSoTheOrderStaysTakenAndItsTransactionCanFinish() {
        MemoryWriter store = new MemoryWriter(); // written at once: every change is read back at once
        ShippingService bounded = new ShippingService(store, 1);
        Hold scheduled = bounded.prepare("t-1", prepare(shipping("o-1", DATE)), NOW, store).hold();
        bounded.commit("t-1", scheduled, store);
        Hold pending = bounded.prepare("t-2", prepare(shipping("o-2", DATE)), NOW, store).hold();
        bounded.endBatch(store);
        bounded.prepare("t-3", prepare(shipping("o-3", DATE)), NOW, store);
        bounded.endBatch(store); // only o-3 is left in memory
        int reads = store.gets();

        Decision duplicate = bounded.prepare("t-4", prepare(shipping("o-1", "2026-12-25")), NOW, store);
        assertThat(duplicate.vote().getCode()).isEqualTo(VoteCode.DUPLICATE_ORDER);
        assertThat(duplicate.vote().getMessage()).isEqualTo("shipment of order o-1 already exists (transaction t-1)");
        bounded.endBatch(store);
        bounded.commit("t-2", pending, store);

        assertThat(store.gets() - reads).as("o-1 and o-2 from the store").isEqualTo(2);
        assertThat(bounded.findShipment("o-2").getTrackingId()).isEqualTo(ShippingService.trackingId("t-2", "o-2"));
        assertThat(bounded.totals()).containsExactly(Map.entry("scheduled", 2L), Map.entry("pending", 1L));
        assertThat(bounded.findDay(DATE)).isEqualTo(day(1, 2));
    }

    @Test
    void aTinyCacheDecidesAsIfEveryShipmentWereInMemory() {
        MemoryWriter store = new MemoryWriter();
        ShippingService bounded = new ShippingService(store, 2);
        Fixtures.sideBySide(service, bounded, store, 29,
                random -> prepare(shipping("o-" + random.nextInt(1_000), "2026-12-" + (10 + random.nextInt(5)))));
        assertThat(bounded.heldRecords()).isEqualTo(service.heldRecords());
        assertThat(store.gets()).as("shipments were read back from the store").isGreaterThan(1_000);
    }

    private void refused(Prepare request, VoteCode code, String message) {
        Fixtures.refused(service, service::heldRecords, out, request, code, message);
    }

    private static DayRecord day(long pending, long scheduled) {
        return DayRecord.newBuilder().setDate(DATE).setPending(pending).setScheduled(scheduled).build();
    }

    private static Hold hold(String orderId, String date) {
        return Hold.newBuilder().setShipping(ShippingHold.newBuilder().setOrderId(orderId).setDate(date)).build();
    }
}
