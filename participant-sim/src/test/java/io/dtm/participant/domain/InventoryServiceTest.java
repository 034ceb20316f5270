package io.dtm.participant.domain;

import static io.dtm.participant.domain.Fixtures.NOW;
import static io.dtm.participant.domain.Fixtures.inventory;
import static io.dtm.participant.domain.Fixtures.item;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtm.config.ServiceName;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.PaymentHold;
import io.dtm.participant.store.Reservation;
import io.dtm.participant.store.SkuRecord;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InventoryServiceTest {

    private final InventoryService service = new InventoryService();
    private final MemoryWriter out = new MemoryWriter();

    @BeforeEach
    void seed() {
        service.seed(out);
        out.clearChanges();
    }

    @Test
    void seedWritesAThousandSkusDeterministically() {
        MemoryWriter first = new MemoryWriter();
        MemoryWriter second = new MemoryWriter();
        new InventoryService().seed(first);
        new InventoryService().seed(second);

        assertThat(first.changes()).hasSize(1000).isEqualTo(second.changes());
        assertThat(first.changedKeys()).startsWith("rec/sku/sku-0000").endsWith("rec/sku/sku-0999");
        assertThat(first.changes().get(42).value()).isEqualTo(SkuRecord.newBuilder()
                .setSku("sku-0042").setAvailable(1_000_000).setVersion(1).build());
        assertThat(service.totals()).containsExactly(Map.entry("initialStock", 1_000_000_000L),
                Map.entry("available", 1_000_000_000L), Map.entry("reserved", 0L), Map.entry("sold", 0L));
        assertThat(service.name()).isEqualTo(ServiceName.INVENTORY);
    }

    @Test
    void yesReservesStockHoldsTheSkusAndReportsTheRecords() {
        Decision decision = service.prepare("t-1", inventory(item("sku-0001", 2), item("sku-0002", 3)), NOW, out);

        assertThat(decision.isYes()).isTrue();
        assertThat(decision.vote().getCode()).isEqualTo(VoteCode.YES);
        assertThat(decision.hold().getInventory().getReservationsList()).containsExactly(
                reservation("sku-0001", 2), reservation("sku-0002", 3));
        SkuRecord reserved = SkuRecord.newBuilder().setSku("sku-0001").setAvailable(999_998).setReserved(2)
                .setVersion(1).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/sku/sku-0001", reserved),
                new MemoryWriter.Change("rec/sku/sku-0002", service.find("sku-0002")));
        assertThat(service.find("sku-0001")).isEqualTo(reserved);
        assertThat(service.totals()).containsEntry("available", 1_000_000_000L - 5).containsEntry("reserved", 5L);
        assertThat(service.heldRecords()).isEqualTo(2);
        assertThat(service.describe(decision.hold())).containsExactly("reserve sku-0001 x2", "reserve sku-0002 x3");
    }

    @Test
    void theSameSkuTwiceInOneRequestIsReservedOnceWithTheSum() {
        Decision decision = service.prepare("t-1", inventory(item("sku-0007", 2), item("sku-0007", 3)), NOW, out);

        assertThat(decision.hold().getInventory().getReservationsList()).containsExactly(reservation("sku-0007", 5));
        assertThat(out.changedKeys()).containsExactly("rec/sku/sku-0007");
        assertThat(service.find("sku-0007").getReserved()).isEqualTo(5);
    }

    @Test
    void malformedRequestsNameTheField() {
        PaymentRequest payment = PaymentRequest.newBuilder().setAccount("acct-0001").build();

        refused(Prepare.getDefaultInstance(), VoteCode.INVALID_REQUEST, "inventory request missing");
        refused(Prepare.newBuilder().setPayment(payment).build(), VoteCode.INVALID_REQUEST,
                "expected an inventory request, got a payment request");
        refused(inventory(), VoteCode.INVALID_REQUEST, "items: must not be empty");
        refused(inventory(item("sku-0001", 1), item(" ", 1)), VoteCode.INVALID_REQUEST, "items[1].sku: missing");
        refused(inventory(item("sku-0001", 1), item("sku-0002", -2)), VoteCode.INVALID_REQUEST,
                "items[1].qty: must be positive, got -2");
        refused(inventory(item("sku-0001", 0)), VoteCode.INVALID_REQUEST, "items[0].qty: must be positive, got 0");
        refused(inventory(item("sku-0001", 1_000_000_001)), VoteCode.INVALID_REQUEST,
                "items[0].qty: must be at most 1000000000, got 1000000001");
        // Malformed input is reported before anything about the records.
        refused(inventory(item("sku-9999", 1), item("sku-0001", -1)), VoteCode.INVALID_REQUEST,
                "items[1].qty: must be positive, got -1");
    }

    @Test
    void unknownSkuIsRefused() {
        refused(inventory(item("sku-0001", 1), item("sku-9999", 1)), VoteCode.UNKNOWN_SKU, "sku-9999: unknown SKU");
    }

    @Test
    void insufficientStockNamesTheSkuAndWhatIsLeft() {
        Fixtures.prepareAndCommit(service, out, "t-1", inventory(item("sku-0042", 999_997)));

        refused(inventory(item("sku-0042", 5)), VoteCode.INSUFFICIENT_STOCK, "sku-0042: requested 5, available 3");
        // Duplicates count together against the stock.
        refused(inventory(item("sku-0042", 2), item("sku-0042", 2)), VoteCode.INSUFFICIENT_STOCK,
                "sku-0042: requested 4, available 3");
        assertThat(service.prepare("t-3", inventory(item("sku-0042", 3)), NOW, out).isYes()).isTrue();
    }

    @Test
    void aSkuReservedWithAVersionIsLockedForOthersButNotForItsHolder() {
        Decision first = service.prepare("t-1", inventory(item("sku-0001", 1, 1), item("sku-0002", 1, 1)), NOW, out);
        assertThat(first.hold().getInventory().getReservationsList()).containsExactly(
                Reservation.newBuilder().setSku("sku-0001").setQty(1).build(),
                Reservation.newBuilder().setSku("sku-0002").setQty(1).build());
        out.clearChanges();

        Vote vote = refused(inventory(item("sku-0003", 1), item("sku-0002", 1)), VoteCode.LOCKED,
                "sku-0002 is held by prepared transaction t-1");
        assertThat(vote.getRecord()).isEqualTo("sku-0002");
        refused(inventory(item("sku-0002", 1, 1)), VoteCode.LOCKED, "sku-0002 is held by prepared transaction t-1");
        assertThat(service.prepare("t-2", inventory(item("sku-0003", 1)), NOW, out).isYes()).isTrue();
        assertThat(service.prepare("t-1", inventory(item("sku-0001", 1)), NOW, out).isYes()).isTrue();
    }

    @Test
    void reservationsWithoutAVersionShareTheSkuAndEachTakesItsOwnStock() {
        Decision first = service.prepare("t-1", inventory(item("sku-0005", 600_000)), NOW, out);
        Decision second = service.prepare("t-3", inventory(item("sku-0005", 300_000)), NOW, out);
        out.clearChanges();

        assertThat(first.isYes()).isTrue();
        assertThat(second.isYes()).isTrue();
        assertThat(service.find("sku-0005").getAvailable()).isEqualTo(100_000);
        assertThat(service.find("sku-0005").getReserved()).isEqualTo(900_000);
        assertThat(service.heldRecords()).isEqualTo(2);
        // What the others set aside is not available: escrow never oversells.
        refused(inventory(item("sku-0005", 100_001)), VoteCode.INSUFFICIENT_STOCK,
                "sku-0005: requested 100001, available 100000");
        // A version-checked reservation needs the SKU alone: the shared holds keep it out.
        refused(inventory(item("sku-0005", 1, 1)), VoteCode.LOCKED, "sku-0005 is held by prepared transaction t-1");

        service.commit("t-1", first.hold(), out);
        out.clearChanges();
        refused(inventory(item("sku-0005", 1, 2)), VoteCode.LOCKED, "sku-0005 is held by prepared transaction t-3");
        service.rollback("t-3", second.hold(), out);

        // Each finished only its own: t-1 sold its stock, t-3 gave its back.
        assertThat(service.find("sku-0005")).isEqualTo(SkuRecord.newBuilder().setSku("sku-0005")
                .setAvailable(400_000).setSold(600_000).setVersion(2).build());
        assertThat(service.heldRecords()).isZero();
        assertThat(service.prepare("t-4", inventory(item("sku-0005", 1, 2)), NOW, out).isYes()).isTrue();
    }

    @Test
    void aVersionCheckedReservationKeepsOutReservationsWithoutAVersion() {
        Decision versioned = service.prepare("t-1", inventory(item("sku-0006", 1, 1)), NOW, out);
        out.clearChanges();

        refused(inventory(item("sku-0006", 1)), VoteCode.LOCKED, "sku-0006 is held by prepared transaction t-1");
        service.commit("t-1", versioned.hold(), out);
        // One item of a request with a version makes the whole reservation of its SKU exclusive.
        Decision mixed = service.prepare("t-3", inventory(item("sku-0006", 1), item("sku-0006", 2, 2)), NOW, out);
        assertThat(mixed.hold().getInventory().getReservationsList()).containsExactly(
                Reservation.newBuilder().setSku("sku-0006").setQty(3).build());
        out.clearChanges();
        refused(inventory(item("sku-0006", 1)), VoteCode.LOCKED, "sku-0006 is held by prepared transaction t-3");
    }

    @Test
    void checksRunInOrderUnknownThenLockThenVersionThenStock() {
        service.prepare("t-1", inventory(item("sku-0001", 1, 1)), NOW, out);
        out.clearChanges();

        refused(inventory(item("sku-0001", 1), item("sku-9999", 1)), VoteCode.UNKNOWN_SKU, "sku-9999: unknown SKU");
        refused(inventory(item("sku-0002", 1, 5), item("sku-0001", 1, 5)), VoteCode.LOCKED,
                "sku-0001 is held by prepared transaction t-1");
        refused(inventory(item("sku-0002", 2_000_000, 5)), VoteCode.STALE_VERSION,
                "sku-0002: expected version 5, current version 1");
    }

    @Test
    void staleExpectedVersionGetsTheCurrentVersion() {
        Vote vote = refused(inventory(item("sku-0001", 1, 1), item("sku-0002", 1, 2)), VoteCode.STALE_VERSION,
                "sku-0002: expected version 2, current version 1");

        assertThat(vote.getRecord()).isEqualTo("sku-0002");
        assertThat(vote.getCurrentVersion()).isEqualTo(1);
        assertThat(service.prepare("t-2", inventory(item("sku-0002", 1, 1)), NOW, out).isYes()).isTrue();
    }

    @Test
    void commitSellsBumpsTheVersionAndReleases() {
        Hold hold = service.prepare("t-1", inventory(item("sku-0001", 2)), NOW, out).hold();
        out.clearChanges();

        service.commit("t-1", hold, out);

        SkuRecord sold = SkuRecord.newBuilder().setSku("sku-0001").setAvailable(999_998).setSold(2)
                .setVersion(2).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/sku/sku-0001", sold));
        assertThat(service.heldRecords()).isZero();
        out.clearChanges();
        refused(inventory(item("sku-0001", 1, 1)), VoteCode.STALE_VERSION,
                "sku-0001: expected version 1, current version 2");
        assertThat(service.prepare("t-2", inventory(item("sku-0001", 1, 2)), NOW, out).isYes()).isTrue();
    }

    @Test
    void rollbackReturnsTheStockKeepsTheVersionAndReleases() {
        Hold hold = service.prepare("t-1", inventory(item("sku-0001", 2)), NOW, out).hold();
        out.clearChanges();

        service.rollback("t-1", hold, out);

        SkuRecord seeded = SkuRecord.newBuilder().setSku("sku-0001").setAvailable(1_000_000).setVersion(1).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/sku/sku-0001", seeded));
        assertThat(service.heldRecords()).isZero();
        assertThat(service.prepare("t-2", inventory(item("sku-0001", 1, 1)), NOW, out).isYes()).isTrue();
    }

    @Test
    void stockIsConservedOverRandomPreparesCommitsAndRollbacks() {
        Random random = new Random(42);
        Map<String, Hold> prepared = new LinkedHashMap<>();
        long sold = 0;
        for (int op = 0; op < 5_000; op++) {
            if (prepared.isEmpty() || random.nextInt(3) == 0) {
                String tid = "t-" + op;
                List<Item> items = new ArrayList<>();
                for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                    // Few SKUs and big quantities, so locks and shortages happen too.
                    items.add(item(InventoryService.skuId(random.nextInt(20)), 1 + random.nextInt(400_000)));
                }
                Decision decision = service.prepare(tid, inventory(items.toArray(Item[]::new)), NOW, out);
                if (decision.isYes()) {
                    prepared.put(tid, decision.hold());
                }
            } else {
                String tid = new ArrayList<>(prepared.keySet()).get(random.nextInt(prepared.size()));
                Hold hold = prepared.remove(tid);
                if (random.nextBoolean()) {
                    service.commit(tid, hold, out);
                    sold += quantity(hold);
                } else {
                    service.rollback(tid, hold, out);
                }
            }
            Map<String, Long> totals = service.totals();
            assertThat(totals.get("available") + totals.get("reserved") + totals.get("sold"))
                    .isEqualTo(totals.get("initialStock"));
        }
        long reserved = prepared.values().stream().mapToLong(InventoryServiceTest::quantity).sum();
        assertThat(service.totals()).containsEntry("reserved", reserved).containsEntry("sold", sold);
        assertThat(sold).isPositive();
    }

    @Test
    void persistedRecordsAndRestoredHoldsRebuildTheSameService() throws Exception {
        MemoryWriter store = new MemoryWriter();
        InventoryService before = new InventoryService();
        before.seed(store);
        Hold committed = before.prepare("t-1", inventory(item("sku-0001", 5)), NOW, store).hold();
        before.commit("t-1", committed, store);
        Hold rolledBack = before.prepare("t-2", inventory(item("sku-0002", 7)), NOW, store).hold();
        before.rollback("t-2", rolledBack, store);
        Hold stillPrepared = before.prepare("t-3", inventory(item("sku-0003", 9, 1), item("sku-0001", 1)), NOW, store)
                .hold();
        Hold sharing = before.prepare("t-5", inventory(item("sku-0001", 2)), NOW, store).hold();

        InventoryService after = new InventoryService();
        store.loadInto(after);
        after.restore("t-3", stillPrepared);
        after.restore("t-5", sharing);

        assertThat(after.totals()).isEqualTo(before.totals());
        assertThat(after.heldRecords()).isEqualTo(before.heldRecords()).isEqualTo(3);
        for (InventoryService service : List.of(before, after)) {
            // sku-0003 came back held alone, sku-0001 shared by t-3 and t-5.
            Decision locked = service.prepare("t-4", inventory(item("sku-0003", 1)), NOW, new MemoryWriter());
            assertThat(locked.vote().getMessage()).isEqualTo("sku-0003 is held by prepared transaction t-3");
            Decision lockedByShared = service.prepare("t-4", inventory(item("sku-0001", 1, 2)), NOW, new MemoryWriter());
            assertThat(lockedByShared.vote().getMessage()).isEqualTo("sku-0001 is held by prepared transaction t-3");
        }
        assertThat(after.prepare("t-6", inventory(item("sku-0001", 1)), NOW, new MemoryWriter()).isYes()).isTrue();
        after.commit("t-3", stillPrepared, new MemoryWriter());
        after.rollback("t-5", sharing, new MemoryWriter());
        assertThat(after.find("sku-0001")).isEqualTo(SkuRecord.newBuilder().setSku("sku-0001")
                .setAvailable(999_993).setReserved(1).setSold(6).setVersion(3).build());
        assertThat(after.prepare("t-4", inventory(item("sku-0003", 1, 2)), NOW, new MemoryWriter()).isYes()).isTrue();
    }

    @Test
    void foreignHoldsAndKeysAreCallerBugs() {
        Hold payment = Hold.newBuilder().setPayment(PaymentHold.newBuilder().setAccount("acct-0001")).build();

        assertThatThrownBy(() -> service.commit("t-1", payment, out)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("inventory service given payment hold");
        assertThatThrownBy(() -> service.load("rec/account/acct-0001", new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private Vote refused(Prepare request, VoteCode code, String message) {
        return Fixtures.refused(service, service::heldRecords, out, request, code, message);
    }

    private static long quantity(Hold hold) {
        return hold.getInventory().getReservationsList().stream().mapToLong(Reservation::getQty).sum();
    }

    /** A reservation made without an expected version: it shares its SKU. */
    private static Reservation reservation(String sku, long qty) {
        return Reservation.newBuilder().setSku(sku).setQty(qty).setShared(true).build();
    }
}
