package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;

import java.util.List;
import java.util.Map;

/**
 * What a submitted order would change if it committed, as its invocation records it: the value of
 * a {@code submit} invocation is {@code {"services": [...], "units": n, "cents": n}} (units of stock
 * and cents of money; an order and a shipment when those services take part).
 */
public record OrderFacts(List<String> services, long units, long cents) {

    /** The value a {@code submit} invocation records. */
    public Map<String, Object> toValue() {
        return Map.of("services", services, "units", units, "cents", cents);
    }

    static OrderFacts of(Op invoke) {
        Object services = invoke.valueOf("services");
        Object units = invoke.valueOf("units");
        Object cents = invoke.valueOf("cents");
        if (!(services instanceof List<?> list) || !(units instanceof Number u) || !(cents instanceof Number c)) {
            return null;
        }
        return new OrderFacts(list.stream().map(String::valueOf).toList(), u.longValue(), c.longValue());
    }

    boolean has(String service) {
        return services.contains(service);
    }
}
