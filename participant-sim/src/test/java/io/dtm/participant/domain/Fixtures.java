package io.dtm.participant.domain;

import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;

import io.dtm.participant.store.Hold;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.function.IntSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Request builders, a fixed "now" and a side-by-side driver shared by the domain tests. */
final class Fixtures {

    /** 2026-06-15T12:00:00Z. */
    static final long NOW = Instant.parse("2026-06-15T12:00:00Z").toEpochMilli();

    static final String VISA = "4111111111111111";
    static final String DECLINED = "4000000000000002";
    static final String BAD_LUHN = "4111111111111112";

    private Fixtures() {
    }

    static Item item(String sku, long qty) {
        return Item.newBuilder().setSku(sku).setQty(qty).build();
    }

    static Item item(String sku, long qty, long expectedVersion) {
        return Item.newBuilder().setSku(sku).setQty(qty).setExpectedVersion(expectedVersion).build();
    }

    static Prepare inventory(Item... items) {
        InventoryRequest.Builder request = InventoryRequest.newBuilder();
        for (Item item : items) {
            request.addItems(item);
        }
        return Prepare.newBuilder().setInventory(request).build();
    }

    static PaymentRequest.Builder payment(String account, long amountCents) {
        return PaymentRequest.newBuilder().setAccount(account).setCard(VISA).setExpiry("12/30")
                .setAmountCents(amountCents);
    }

    static Prepare prepare(PaymentRequest.Builder payment) {
        return Prepare.newBuilder().setPayment(payment).build();
    }

    static OrderLine line(String sku, long qty, long priceCents) {
        return OrderLine.newBuilder().setSku(sku).setQty(qty).setPriceCents(priceCents).build();
    }

    static OrderRequest.Builder order(String orderId) {
        return OrderRequest.newBuilder().setOrderId(orderId).setCustomer("c-1")
                .addLines(line("sku-0001", 2, 1000)).addLines(line("sku-0002", 1, 2500))
                .addLines(line("sku-0003", 3, 1000));
    }

    static Prepare prepare(OrderRequest.Builder order) {
        return Prepare.newBuilder().setOrder(order).build();
    }

    static Address.Builder address() {
        return Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345").setCountry("US");
    }

    static ShippingRequest.Builder shipping(String orderId, String date) {
        return ShippingRequest.newBuilder().setOrderId(orderId).setAddress(address()).setDate(date);
    }

    static Prepare prepare(ShippingRequest.Builder shipping) {
        return Prepare.newBuilder().setShipping(shipping).build();
    }

    /**
     * Asserts that {@code service} votes NO ({@code code}, {@code message}) to {@code request} under
     * tid t-2 and changes nothing: nothing written to {@code out}, the same totals, as many records
     * held ({@code heldRecords}, which each service counts for itself); returns the vote.
     */
    static Vote refused(DomainService service, IntSupplier heldRecords, MemoryWriter out, Prepare request,
            VoteCode code, String message) {
        Map<String, Long> totals = service.totals();
        int held = heldRecords.getAsInt();

        Decision decision = service.prepare("t-2", request, NOW, out);

        assertThat(decision.isYes()).isFalse();
        assertThat(decision.vote().getCode()).isEqualTo(code);
        assertThat(decision.vote().getMessage()).isEqualTo(message);
        assertThat(decision.hold()).isNull();
        assertThat(out.changes()).isEmpty();
        assertThat(service.totals()).isEqualTo(totals);
        assertThat(heldRecords.getAsInt()).isEqualTo(held);
        return decision.vote();
    }

    /** Prepares {@code request} under {@code tid}, which must vote YES, commits it and clears {@code out}. */
    static void prepareAndCommit(DomainService service, MemoryWriter out, String tid, Prepare request) {
        Decision decision = service.prepare(tid, request, NOW, out);
        assertThat(decision.isYes()).isTrue();
        service.commit(tid, decision.hold(), out);
        out.clearChanges();
    }

    /**
     * Drives an unbounded service and a bounded one (reading through {@code store}) with the same
     * seeded mix of 5,000 PREPAREs, COMMITs and ROLLBACKs, writing the bounded one's batches to the
     * store at random boundaries; asserts that every decision and, after every step, the totals are
     * the same.
     */
    static void sideBySide(DomainService unbounded, DomainService bounded, MemoryWriter store, long seed,
            Function<Random, Prepare> requests) {
        MemoryWriter out = new MemoryWriter();
        MemoryWriter batch = new MemoryWriter(); // what the store reads back only once it is written
        Random random = new Random(seed);
        Map<String, Hold> prepared = new LinkedHashMap<>();
        for (int op = 0; op < 5_000; op++) {
            if (prepared.isEmpty() || random.nextInt(3) == 0) {
                String tid = "t-" + op;
                Prepare request = requests.apply(random);
                Decision decision = unbounded.prepare(tid, request, NOW, out);
                assertThat(bounded.prepare(tid, request, NOW, batch)).as("op %d", op).isEqualTo(decision);
                if (decision.isYes()) {
                    prepared.put(tid, decision.hold());
                }
            } else {
                String tid = new ArrayList<>(prepared.keySet()).get(random.nextInt(prepared.size()));
                Hold hold = prepared.remove(tid);
                if (random.nextBoolean()) {
                    unbounded.commit(tid, hold, out);
                    bounded.commit(tid, hold, batch);
                } else {
                    unbounded.rollback(tid, hold, out);
                    bounded.rollback(tid, hold, batch);
                }
            }
            assertThat(bounded.totals()).as("op %d", op).isEqualTo(unbounded.totals());
            if (random.nextInt(4) == 0) {
                bounded.endBatch(batch);
                batch.writeTo(store);
            }
        }
    }
}
