package io.dtm.cli;

import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.rpc.SubmitRequest;

import java.time.LocalDate;
import java.time.ZoneOffset;

/** Orders for the cluster tests: one line of {@code qty} of {@code sku}, paid with {@code card}, shipped in ten days. */
final class TestOrders {
    private TestOrders() {
    }

    static SubmitRequest order(String tid, String sku, long qty, String card) {
        String orderId = "o-" + tid;
        String shipOn = LocalDate.now(ZoneOffset.UTC).plusDays(10).toString();
        return SubmitRequest.newBuilder().setTid(tid)
                .setInventory(InventoryRequest.newBuilder().addItems(Item.newBuilder().setSku(sku).setQty(qty)))
                .setPayment(PaymentRequest.newBuilder().setAccount("acct-0001").setCard(card).setExpiry("12/99")
                        .setAmountCents(1250))
                .setOrder(OrderRequest.newBuilder().setOrderId(orderId).setCustomer("acct-0001")
                        .addLines(OrderLine.newBuilder().setSku(sku).setQty(qty).setPriceCents(1250)))
                .setShipping(ShippingRequest.newBuilder().setOrderId(orderId).setDate(shipOn)
                        .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345")
                                .setCountry("US")))
                .build();
    }
}
