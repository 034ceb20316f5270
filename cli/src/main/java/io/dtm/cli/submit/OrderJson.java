package io.dtm.cli.submit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dtm.cli.Json;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.rpc.SubmitRequest;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One transaction as a JSON line, the input format of {@code dtm submit}:
 * <pre>{"tid":"t-1","services":{"inventory":{"items":[{"sku":"sku-0001","qty":2,"expectedVersion":3}]},
 * "payment":{"account":"acct-0001","card":"4111111111111111","expiry":"12/30","amountCents":2500},
 * "order":{"orderId":"o-1","customer":"acct-0001","lines":[{"sku":"sku-0001","qty":2,"priceCents":1250}]},
 * "shipping":{"orderId":"o-1","address":{"street":"1 Main St","city":"Springfield","zip":"12345",
 * "country":"US"},"date":"2026-12-24"}}}</pre>
 * Any non-empty subset of the services; {@code expectedVersion}, {@code timeoutMs} and
 * {@code maxAttempts} are optional. Strict: an unknown key or a value of the wrong type is an error
 * naming its path, so a typo never silently drops data.
 */
public final class OrderJson {
    /** The line is not a transaction; the message names the field and the problem. */
    static final class FormatException extends Exception {
        FormatException(String message) {
            super(message);
        }
    }

    private static final Set<String> TOP = Set.of("tid", "services", "timeoutMs", "maxAttempts");
    private static final Set<String> SERVICES = Set.of("inventory", "payment", "order", "shipping");

    /** Refuses a repeated key and anything after the object, which the default mapper would let pass. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private OrderJson() {
    }

    /** The tid of a line that parses as a JSON object with a string tid, for error reports; else null. */
    static String tidOf(String line) {
        try {
            JsonNode tid = Json.MAPPER.readTree(line).get("tid");
            return tid != null && tid.isTextual() ? tid.asText() : null;
        } catch (JsonProcessingException | RuntimeException e) {
            return null;
        }
    }

    public static SubmitRequest parse(String line) throws FormatException {
        JsonNode root;
        try {
            root = STRICT.readTree(line);
        } catch (JsonProcessingException e) {
            throw new FormatException(notJson(e));
        }
        ObjectNode top = object(root, "the line");
        keys(top, "", TOP);
        SubmitRequest.Builder r = SubmitRequest.newBuilder().setTid(string(top, "tid", ""));
        if (top.has("timeoutMs")) {
            r.setTimeoutMs(integer(top, "timeoutMs", ""));
        }
        if (top.has("maxAttempts")) {
            r.setMaxAttempts((int) integer(top, "maxAttempts", ""));
        }
        ObjectNode services = object(required(top, "services", ""), "services");
        for (Iterator<String> it = services.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!SERVICES.contains(name)) {
                throw new FormatException("services." + name + ": unknown service (expected some of: inventory, payment,"
                        + " order, shipping)");
            }
        }
        if (services.isEmpty()) {
            throw new FormatException("services: at least one of inventory, payment, order, shipping is needed");
        }
        if (services.has("inventory")) {
            r.setInventory(inventory(object(services.get("inventory"), "services.inventory")));
        }
        if (services.has("payment")) {
            r.setPayment(payment(object(services.get("payment"), "services.payment")));
        }
        if (services.has("order")) {
            r.setOrder(order(object(services.get("order"), "services.order")));
        }
        if (services.has("shipping")) {
            r.setShipping(shipping(object(services.get("shipping"), "services.shipping")));
        }
        return r.build();
    }

    /** Jackson's message without its source dump, with the column: "not valid JSON at column 42: ...". */
    private static String notJson(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        int cut = message.indexOf(" (start marker");
        message = (cut >= 0 ? message.substring(0, cut) : message).replace('\n', ' ');
        int column = e.getLocation() == null ? -1 : e.getLocation().getColumnNr();
        return "not valid JSON" + (column > 0 ? " at column " + column : "") + ": " + message;
    }

    private static InventoryRequest inventory(ObjectNode n) throws FormatException {
        String at = "services.inventory";
        keys(n, at, Set.of("items"));
        InventoryRequest.Builder r = InventoryRequest.newBuilder();
        JsonNode items = list(n, "items", at);
        for (int i = 0; i < items.size(); i++) {
            String itemAt = at + ".items[" + i + "]";
            ObjectNode item = object(items.get(i), itemAt);
            keys(item, itemAt, Set.of("sku", "qty", "expectedVersion"));
            Item.Builder b = Item.newBuilder().setSku(string(item, "sku", itemAt)).setQty(integer(item, "qty", itemAt));
            if (item.has("expectedVersion")) {
                b.setExpectedVersion(integer(item, "expectedVersion", itemAt));
            }
            r.addItems(b);
        }
        return r.build();
    }

    private static PaymentRequest payment(ObjectNode n) throws FormatException {
        String at = "services.payment";
        keys(n, at, Set.of("account", "card", "expiry", "amountCents", "expectedVersion"));
        PaymentRequest.Builder r = PaymentRequest.newBuilder()
                .setAccount(string(n, "account", at))
                .setCard(string(n, "card", at))
                .setExpiry(string(n, "expiry", at))
                .setAmountCents(integer(n, "amountCents", at));
        if (n.has("expectedVersion")) {
            r.setExpectedVersion(integer(n, "expectedVersion", at));
        }
        return r.build();
    }

    private static OrderRequest order(ObjectNode n) throws FormatException {
        String at = "services.order";
        keys(n, at, Set.of("orderId", "customer", "lines"));
        OrderRequest.Builder r = OrderRequest.newBuilder()
                .setOrderId(string(n, "orderId", at))
                .setCustomer(string(n, "customer", at));
        JsonNode lines = list(n, "lines", at);
        for (int i = 0; i < lines.size(); i++) {
            String lineAt = at + ".lines[" + i + "]";
            ObjectNode line = object(lines.get(i), lineAt);
            keys(line, lineAt, Set.of("sku", "qty", "priceCents"));
            r.addLines(OrderLine.newBuilder().setSku(string(line, "sku", lineAt)).setQty(integer(line, "qty", lineAt))
                    .setPriceCents(integer(line, "priceCents", lineAt)));
        }
        return r.build();
    }

    private static ShippingRequest shipping(ObjectNode n) throws FormatException {
        String at = "services.shipping";
        keys(n, at, Set.of("orderId", "address", "date"));
        ShippingRequest.Builder r = ShippingRequest.newBuilder()
                .setOrderId(string(n, "orderId", at))
                .setDate(string(n, "date", at));
        if (n.has("address")) {
            ObjectNode a = object(n.get("address"), at + ".address");
            keys(a, at + ".address", Set.of("street", "city", "zip", "country"));
            // Missing or empty address fields are the shipping service's to refuse (INVALID_ADDRESS).
            Address.Builder address = Address.newBuilder();
            for (String field : List.of("street", "city", "zip", "country")) {
                if (a.has(field)) {
                    String value = string(a, field, at + ".address");
                    switch (field) {
                        case "street" -> address.setStreet(value);
                        case "city" -> address.setCity(value);
                        case "zip" -> address.setZip(value);
                        default -> address.setCountry(value);
                    }
                }
            }
            r.setAddress(address);
        }
        return r.build();
    }

    // ------------------------------------------------------------------ typed reads

    private static ObjectNode object(JsonNode n, String at) throws FormatException {
        if (n == null || !n.isObject()) {
            throw new FormatException(at + ": expected an object, got " + kind(n));
        }
        return (ObjectNode) n;
    }

    private static void keys(ObjectNode n, String at, Set<String> allowed) throws FormatException {
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            String key = it.next().getKey();
            if (!allowed.contains(key)) {
                throw new FormatException(path(at, key) + ": unknown field (expected one of: "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
    }

    private static JsonNode required(ObjectNode n, String key, String at) throws FormatException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            throw new FormatException(path(at, key) + ": missing");
        }
        return v;
    }

    private static JsonNode list(ObjectNode n, String key, String at) throws FormatException {
        JsonNode v = required(n, key, at);
        if (!v.isArray()) {
            throw new FormatException(path(at, key) + ": expected a list, got " + kind(v));
        }
        return v;
    }

    private static String string(ObjectNode n, String key, String at) throws FormatException {
        JsonNode v = required(n, key, at);
        if (!v.isTextual()) {
            // Never echo a card number, not even a mistyped one.
            String got = key.equals("card") ? (v.isNumber() ? "a number" : v.getNodeType().name().toLowerCase())
                    : kind(v);
            throw new FormatException(path(at, key) + ": expected a string, got " + got);
        }
        return v.asText();
    }

    private static long integer(ObjectNode n, String key, String at) throws FormatException {
        JsonNode v = required(n, key, at);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new FormatException(path(at, key) + ": expected a whole number, got " + kind(v));
        }
        return v.asLong();
    }

    private static String path(String at, String key) {
        return at.isEmpty() ? key : at + "." + key;
    }

    private static String kind(JsonNode v) {
        if (v == null || v.isNull()) {
            return "nothing";
        }
        if (v.isTextual()) {
            String text = v.asText();
            return "the string \"" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "\"";
        }
        if (v.isNumber()) {
            return "the number " + v.asText();
        }
        return v.isArray() ? "a list" : v.isObject() ? "an object" : v.getNodeType().name().toLowerCase();
    }
}
