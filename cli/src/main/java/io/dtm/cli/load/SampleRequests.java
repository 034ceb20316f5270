package io.dtm.cli.load;

import io.dtm.config.ServiceName;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.ShippingRequest;

import java.time.LocalDate;

/** Well-formed PREPAREs of an ordinary order (one SKU, paid by a valid card, shipped to Springfield). */
public final class SampleRequests {
    static final String VALID_CARD = "4111111111111111";

    private SampleRequests() {
    }

    /** The PREPARE that {@code service} gets for order number {@code n} of attempt {@code tid}. */
    public static Prepare prepare(ServiceName service, String tid, int n, LocalDate shipOn) {
        String sku = String.format("sku-%04d", n % 1000);
        String account = String.format("acct-%04d", n % 1000);
        String orderId = "o-" + tid.replace('#', '-');
        Prepare.Builder p = Prepare.newBuilder().setAttemptId(tid);
        return switch (service) {
            case INVENTORY -> p.setInventory(InventoryRequest.newBuilder()
                    .addItems(Item.newBuilder().setSku(sku).setQty(1))).build();
            case PAYMENT -> p.setPayment(PaymentRequest.newBuilder().setAccount(account).setCard(VALID_CARD)
                    .setExpiry("12/99").setAmountCents(1250)).build();
            case ORDER -> p.setOrder(OrderRequest.newBuilder().setOrderId(orderId).setCustomer(account)
                    .addLines(OrderLine.newBuilder().setSku(sku).setQty(1).setPriceCents(1250))).build();
            case SHIPPING -> p.setShipping(ShippingRequest.newBuilder().setOrderId(orderId).setDate(shipOn.toString())
                    .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345")
                            .setCountry("US"))).build();
        };
    }
}
