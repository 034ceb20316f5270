package io.dtm.coordinator.core;

import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;

import java.util.List;

/** The shape checks of each service's request; each problem names its field. */
final class RequestChecks {
    private RequestChecks() {
    }

    static void inventory(InventoryRequest r, List<String> problems) {
        if (r.getItemsCount() == 0) {
            problems.add("inventory.items: must not be empty");
        }
        for (int i = 0; i < r.getItemsCount(); i++) {
            Item item = r.getItems(i);
            String field = "inventory.items[" + i + "]";
            required(item.getSku(), field + ".sku", problems);
            positive(item.getQty(), field + ".qty", problems);
        }
    }

    static void payment(PaymentRequest r, List<String> problems) {
        required(r.getAccount(), "payment.account", problems);
        required(r.getCard(), "payment.card", problems);
        required(r.getExpiry(), "payment.expiry", problems);
        positive(r.getAmountCents(), "payment.amountCents", problems);
    }

    static void order(OrderRequest r, List<String> problems) {
        required(r.getOrderId(), "order.orderId", problems);
        required(r.getCustomer(), "order.customer", problems);
        if (r.getLinesCount() == 0) {
            problems.add("order.lines: must not be empty");
        }
        for (int i = 0; i < r.getLinesCount(); i++) {
            OrderLine line = r.getLines(i);
            String field = "order.lines[" + i + "]";
            required(line.getSku(), field + ".sku", problems);
            positive(line.getQty(), field + ".qty", problems);
            if (line.getPriceCents() < 0) {
                problems.add(field + ".priceCents: must not be negative, got " + line.getPriceCents());
            }
        }
    }

    static void shipping(ShippingRequest r, List<String> problems) {
        required(r.getOrderId(), "shipping.orderId", problems);
        required(r.getDate(), "shipping.date", problems);
        if (!r.hasAddress()) {
            problems.add("shipping.address: missing");
        }
    }

    private static void required(String value, String field, List<String> problems) {
        if (value.isBlank()) {
            problems.add(field + ": missing");
        }
    }

    private static void positive(long value, String field, List<String> problems) {
        if (value <= 0) {
            problems.add(field + ": must be positive, got " + value);
        }
    }
}
