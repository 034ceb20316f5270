package io.dtm.jepsen.run;

import io.dtm.jepsen.check.OrderFacts;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.rpc.SubmitRequest;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The orders a test submits: a realistic mix over 1,000 SKUs and accounts, a hot set that
 * contends, orders meant to fail (a declined card, more stock than there is), and orders that
 * touch one or two services only (one-phase commit included).
 */
public final class Workload {
    /** An order and what it would change if it committed. */
    public record Order(SubmitRequest request, OrderFacts facts) {
    }

    private final Random random;
    private final LocalDate shipOn;
    private final int hotSet;

    public Workload(long seed, LocalDate today, int hotSet) {
        this.random = new Random(seed);
        this.shipOn = today.plusDays(30);
        this.hotSet = hotSet;
    }

    public synchronized Order next(String tid) {
        return order(tid, false);
    }

    /**
     * Another order under {@code original}'s tid, different from it (a client reusing a tid by
     * mistake): it must be refused, never run.
     */
    public synchronized Order other(Order original) {
        String tid = original.request().getTid();
        for (int i = 0; i < 100; i++) {
            Order other = order(tid, false);
            if (!other.request().equals(original.request())) {
                return other;
            }
        }
        throw new IllegalStateException("100 random orders for " + tid + " were all the same as the first");
    }

    /** An order that should commit: all four services, no hot key, a good card, stock that exists. */
    public synchronized Order plain(String tid) {
        return order(tid, true);
    }

    private Order order(String tid, boolean plain) {
        boolean hot = !plain && hotSet > 0 && random.nextInt(10) < 3;
        int key = hot ? random.nextInt(hotSet) : hotSet + random.nextInt(1_000 - hotSet);
        String sku = String.format("sku-%04d", key);
        String account = String.format("acct-%04d", (key * 7 + random.nextInt(3)) % 1_000);
        long qty = !plain && random.nextInt(50) == 0 ? 2_000_000 : 1 + random.nextInt(3); // 2%: more than a SKU holds
        long price = 100 + random.nextInt(5_000);
        String card = !plain && random.nextInt(25) == 0 ? "4000000000000002" : "4111111111111111"; // 4%: declined
        int shape = plain ? 0 : random.nextInt(10);
        List<String> services = shape < 8 ? List.of("inventory", "payment", "order", "shipping")
                : shape == 8 ? List.of("payment") : List.of("inventory", "order");
        String orderId = "o-" + tid;
        SubmitRequest.Builder r = SubmitRequest.newBuilder().setTid(tid);
        long units = 0;
        long cents = 0;
        List<String> present = new ArrayList<>();
        for (String s : services) {
            present.add(s);
            switch (s) {
                case "inventory" -> {
                    Item.Builder item = Item.newBuilder().setSku(sku).setQty(qty);
                    if (hot && random.nextInt(3) == 0) {
                        // Orders without a version share a SKU; one that names the version it read
                        // needs the SKU alone, so hot SKUs see LOCKED votes and retries (and stale
                        // versions) under the faults.
                        item.setExpectedVersion(1);
                    }
                    r.setInventory(InventoryRequest.newBuilder().addItems(item));
                    units = qty;
                }
                case "payment" -> {
                    cents = qty * price;
                    r.setPayment(PaymentRequest.newBuilder().setAccount(account).setCard(card).setExpiry("12/99")
                            .setAmountCents(cents));
                }
                case "order" -> r.setOrder(OrderRequest.newBuilder().setOrderId(orderId).setCustomer(account)
                        .addLines(OrderLine.newBuilder().setSku(sku).setQty(qty).setPriceCents(price)));
                default -> r.setShipping(ShippingRequest.newBuilder().setOrderId(orderId).setDate(shipOn.toString())
                        .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345")
                                .setCountry("US")));
            }
        }
        return new Order(r.build(), new OrderFacts(present, units, cents));
    }

    public synchronized int nextInt(int bound) {
        return random.nextInt(bound);
    }
}
