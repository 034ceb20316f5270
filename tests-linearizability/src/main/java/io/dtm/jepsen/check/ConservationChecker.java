package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stock, money, orders and shipments equal the initial state plus the effects of exactly the
 * committed tids: each applied once however often it was submitted or retried; nothing left
 * reserved or held; what was seeded is all accounted for. The committed tids are those some
 * node's log holds a COMMIT for; when the log may have dropped outcomes of this run
 * ({@link Retention#mayHaveForgotten}), also those a service holds committed (the services keep
 * every attempt they finished). A resubmitted tid counts once, with its first request's effects:
 * a different request under it must never have run.
 */
public final class ConservationChecker {
    public static final String NAME = "conservation";

    private ConservationChecker() {
    }

    public static CheckResult check(List<Op> history, Observed observed, Retention retention) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        boolean committedKnown = true;
        if (observed.logs().isEmpty()) {
            result.unknown("no node's log could be read: which tids committed is unknown");
            committedKnown = false;
        }
        Map<String, Long> before = observed.totalsBefore();
        Map<String, Long> after = observed.totalsAfter();
        Map<String, OrderFacts> facts = AtomicityChecker.facts(history);
        Set<String> committed = Tids.committedTids(observed);
        if (retention.mayHaveForgotten(history)) {
            committed.addAll(Tids.committedAtAnyService(observed));
            if (!observed.unreadServices().isEmpty()) {
                result.unknown("the log may have dropped outcomes and " + observed.unreadServices()
                        + " could not be read: which tids committed is unknown");
                committedKnown = false;
            }
        }
        long units = 0;
        long cents = 0;
        long orders = 0;
        long shipments = 0;
        for (String tid : committed) {
            OrderFacts f = facts.get(tid);
            if (f == null) {
                result.unknown(tid + " committed but its order is not in the history");
                continue;
            }
            units += f.has("inventory") ? f.units() : 0;
            cents += f.has("payment") ? f.cents() : 0;
            orders += f.has("order") ? 1 : 0;
            shipments += f.has("shipping") ? 1 : 0;
        }
        Map<String, Long> expected = new LinkedHashMap<>();
        expected.put("inventory.sold", units);
        expected.put("payment.capturedCents", cents);
        expected.put("order.confirmed", orders);
        expected.put("shipping.scheduled", shipments);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("committedTids", committed.size());
        for (Map.Entry<String, Long> e : committedKnown ? expected.entrySet() : Map.<String, Long>of().entrySet()) {
            String key = e.getKey();
            if (!before.containsKey(key) || !after.containsKey(key)) {
                result.unknown(key + " was not read before and after");
                continue;
            }
            long grew = after.get(key) - before.get(key);
            details.put(key, Map.of("expected", e.getValue(), "observed", grew));
            if (grew != e.getValue()) {
                result.problem(key + " grew by " + grew + ", the committed tids add " + e.getValue());
            }
        }
        for (String key : List.of("inventory.reserved", "payment.heldCents", "order.pending", "shipping.pending")) {
            Long left = after.get(key);
            if (left != null && left != 0) {
                result.problem(key + " is " + left + " with nothing in flight");
            }
        }
        conserved(after, "inventory.initialStock", List.of("inventory.available", "inventory.reserved", "inventory.sold"),
                result);
        conserved(after, "payment.initialBalanceCents",
                List.of("payment.balanceCents", "payment.heldCents", "payment.capturedCents"), result);
        return result.build(details);
    }

    private static void conserved(Map<String, Long> t, String total, List<String> parts, CheckResult.Builder result) {
        if (!t.containsKey(total) || !parts.stream().allMatch(t::containsKey)) {
            result.unknown(total + " or its parts were not read");
            return;
        }
        long sum = parts.stream().mapToLong(t::get).sum();
        if (sum != t.get(total)) {
            result.problem(total + " is " + t.get(total) + ", but " + String.join(" + ", parts) + " = " + sum);
        }
    }
}
