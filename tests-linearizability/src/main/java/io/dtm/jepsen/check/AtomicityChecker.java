package io.dtm.jepsen.check;

import io.dtm.jepsen.history.ClientOps;
import io.dtm.jepsen.history.Op;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * All or none, at the participants' durable state: for every tid, at most one attempt committed
 * anywhere, and that attempt committed at every service the order names.
 */
public final class AtomicityChecker {
    public static final String NAME = "atomicity";

    private AtomicityChecker() {
    }

    public static CheckResult check(List<Op> history, Observed observed) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Map<String, OrderFacts> facts = facts(history);
        Map<String, Map<String, Map<String, String>>> attempts = Tids.participantAttempts(observed);
        Set<String> tids = new TreeSet<>(facts.keySet());
        attempts.values().forEach(byTid -> tids.addAll(byTid.keySet()));
        int all = 0;
        for (String tid : tids) {
            Set<String> committed = Tids.committedAtParticipants(tid, attempts);
            if (committed.size() > 1) {
                result.problem(tid + ": more than one attempt committed: " + committed);
                continue;
            }
            if (committed.isEmpty()) {
                continue;
            }
            String attempt = committed.iterator().next();
            OrderFacts order = facts.get(tid);
            Set<String> services = order != null ? new TreeSet<>(order.services()) : new TreeSet<>(attempts.keySet());
            Map<String, String> states = new LinkedHashMap<>();
            for (String service : services) {
                Map<String, String> at = attempts.get(service) == null ? null
                        : attempts.get(service).getOrDefault(tid, Map.of());
                states.put(service, at == null ? "NOT READ" : at.getOrDefault(attempt, "NONE"));
            }
            if (states.values().stream().anyMatch(s -> !s.equals(Observed.COMMITTED))) {
                if (states.containsValue("NOT READ")) {
                    result.unknown(tid + ": a service could not be read");
                } else {
                    result.problem(tid + ": " + attempt + " committed at some services only: " + states);
                }
            } else {
                all++;
            }
        }
        if (!observed.unreadServices().isEmpty()) {
            // A second committed attempt, or the missing half of one, may be there.
            result.unknown("services not read: " + observed.unreadServices());
        }
        return result.build(Map.of("tids", tids.size(), "committedEverywhere", all));
    }

    /** Each tid's order, as its first submission recorded it (a different request under the tid is not its). */
    static Map<String, OrderFacts> facts(List<Op> history) {
        Map<String, OrderFacts> facts = new LinkedHashMap<>();
        for (Op op : history) {
            boolean ownRequest = op.f().equals(ClientOps.SUBMIT) || op.f().equals(ClientOps.RESUBMIT)
                    || op.f().equals(ClientOps.PROBE);
            if (op.isInvoke() && ownRequest && op.tid() != null) {
                OrderFacts f = OrderFacts.of(op);
                if (f != null) {
                    facts.putIfAbsent(op.tid(), f);
                }
            }
        }
        return facts;
    }
}
