package io.dtm.coordinator.sim;

import io.dtm.coordinator.core.CoordinatorSettings;
import io.dtm.coordinator.core.TestDigest;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.rpc.SubmitRequest;

import java.util.Random;

/** The simulated clients' orders: any subset of services, hot records for contention, real refusals. */
final class Workload {
    static final CoordinatorSettings SETTINGS = settings(10_000, 100_000);

    /** The coordinator's settings, with an admission bound and an answer cache of these sizes. */
    static CoordinatorSettings settings(int maxInFlight, int resultCacheSize) {
        return new CoordinatorSettings("coordinator:sim", 3, 20, 500, 2_000, 4, 20, maxInFlight, resultCacheSize,
                TestDigest.KEYED);
    }

    private Workload() {
    }

    static SubmitRequest request(String tid, Random random) {
        SubmitRequest.Builder r = SubmitRequest.newBuilder().setTid(tid);
        // Ten hot SKUs and accounts: concurrent transactions meet. Requests without a version share
        // a record; one in four names a version and needs the record alone, so LOCKED votes (and
        // retries under new attempt ids) happen, and STALE_VERSION too.
        String sku = String.format("sku-%04d", random.nextInt(10));
        String account = String.format("acct-%04d", random.nextInt(10));
        String orderId = "o-" + tid;
        int services = 1 + random.nextInt(15); // a non-empty subset of the four, as a bit mask
        if ((services & 1) != 0) {
            long qty = random.nextInt(30) == 0 ? 5_000_000 : 1 + random.nextInt(3); // sometimes more than the stock
            Item.Builder item = Item.newBuilder().setSku(sku).setQty(qty);
            if (random.nextInt(4) == 0) {
                item.setExpectedVersion(1 + random.nextInt(3));
            }
            r.setInventory(InventoryRequest.newBuilder().addItems(item));
        }
        if ((services & 2) != 0) {
            String card = random.nextInt(20) == 0 ? "4000000000000002" : "4111111111111111"; // sometimes declined
            PaymentRequest.Builder payment = PaymentRequest.newBuilder().setAccount(account).setCard(card)
                    .setExpiry("12/99").setAmountCents(100 + random.nextInt(900));
            if (random.nextInt(4) == 0) {
                payment.setExpectedVersion(1 + random.nextInt(3));
            }
            r.setPayment(payment);
        }
        if ((services & 4) != 0) {
            r.setOrder(OrderRequest.newBuilder().setOrderId(orderId).setCustomer(account)
                    .addLines(OrderLine.newBuilder().setSku(sku).setQty(1).setPriceCents(100)));
        }
        if ((services & 8) != 0) {
            r.setShipping(ShippingRequest.newBuilder().setOrderId(orderId).setDate("2026-12-24")
                    .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345")
                            .setCountry("US")));
        }
        if (random.nextInt(4) == 0) {
            // A deadline of its own, from 1 ms (it passes before anything else happens) to 3 s, spread
            // evenly over the orders of magnitude: every order of Begin, votes and the deadline occurs.
            r.setTimeoutMs(Math.max(1, (long) Math.pow(3_000, random.nextDouble())));
        }
        return r.build();
    }
}
