package io.dtm.participant.domain;

import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.ShippingRequest;

import java.time.Instant;

/** Request builders and a fixed "now" shared by the domain tests. */
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
}
