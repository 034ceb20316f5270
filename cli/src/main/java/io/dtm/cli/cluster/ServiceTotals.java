package io.dtm.cli.cluster;

import io.dtm.protocol.participant.Item;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.rpc.ClusterView;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The services' totals (as {@code dtm inspect} shows them), keyed {@code service.total}, and what
 * a set of committed orders must have added to them: the check that the participants agree with
 * the outcomes a client printed.
 */
public final class ServiceTotals {
    /** The totals that committed orders move, in the order they are shown. */
    public static final List<String> MOVED_BY_COMMITS = List.of("inventory.sold", "payment.capturedCents", "order.confirmed",
            "shipping.scheduled");
    /** The totals that are 0 once no transaction is in flight. */
    public static final List<String> ZERO_WHEN_SETTLED = List.of("inventory.reserved", "payment.heldCents", "order.pending",
            "shipping.pending");

    private ServiceTotals() {
    }

    /** Every reachable service's totals. */
    public static Map<String, Long> of(ClusterView view) {
        Map<String, Long> totals = new TreeMap<>();
        for (ClusterView.ServiceView svc : view.services()) {
            if (svc.reachable()) {
                svc.inspect().getTotalsMap().forEach((k, v) -> totals.put(svc.name() + "." + k, v));
            }
        }
        return totals;
    }

    /** True when every service answers and holds no PREPARED transaction. */
    public static boolean settled(ClusterView view) {
        return view.services().stream().allMatch(svc -> svc.reachable() && svc.inspect().getPreparedCount() == 0);
    }

    /** What {@code committed} orders add to each of {@link #MOVED_BY_COMMITS}. */
    public static Map<String, Long> addedBy(Collection<SubmitRequest> committed) {
        long units = 0;
        long cents = 0;
        long orders = 0;
        long shipments = 0;
        for (SubmitRequest r : committed) {
            units += r.getInventory().getItemsList().stream().mapToLong(Item::getQty).sum();
            cents += r.getPayment().getAmountCents();
            orders += r.hasOrder() ? 1 : 0;
            shipments += r.hasShipping() ? 1 : 0;
        }
        Map<String, Long> added = new LinkedHashMap<>();
        added.put("inventory.sold", units);
        added.put("payment.capturedCents", cents);
        added.put("order.confirmed", orders);
        added.put("shipping.scheduled", shipments);
        return added;
    }

    /** How much each of {@link #MOVED_BY_COMMITS} grew from {@code before} to {@code after}. */
    public static Map<String, Long> growth(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> growth = new LinkedHashMap<>();
        for (String key : MOVED_BY_COMMITS) {
            growth.put(key, after.getOrDefault(key, 0L) - before.getOrDefault(key, 0L));
        }
        return growth;
    }

    /** Stock and money are conserved: what was seeded is available, reserved or sold; held, captured or left. */
    public static boolean conserved(Map<String, Long> t) {
        return t.get("inventory.initialStock") == t.get("inventory.available") + t.get("inventory.reserved")
                + t.get("inventory.sold")
                && t.get("payment.initialBalanceCents") == t.get("payment.balanceCents") + t.get("payment.heldCents")
                + t.get("payment.capturedCents");
    }
}
