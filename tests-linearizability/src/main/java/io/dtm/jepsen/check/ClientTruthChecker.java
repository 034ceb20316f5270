package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a client was told is what happened, durably: an acknowledged COMMITTED is committed in the
 * log and at every service the order names; an ABORTED or REJECTED is committed nowhere. An
 * {@code info} answer may have gone either way (atomicity covers it).
 */
public final class ClientTruthChecker {
    public static final String NAME = "client-truth";

    private ClientTruthChecker() {
    }

    /** New orders, duplicates and the probes after the heal. */
    static boolean isSubmit(Calls.Call c) {
        return c.f().equals("submit") || c.f().equals("probe");
    }

    public static CheckResult check(List<Op> history, Observed observed) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Map<String, OrderFacts> facts = AtomicityChecker.facts(history);
        Map<String, Map<String, Map<String, String>>> attempts = Tids.participantAttempts(observed);
        int committed = 0;
        int notCommitted = 0;
        for (Calls.Call c : Calls.of(history)) {
            if (!isSubmit(c) || c.completion() == null || c.type() == OpType.INFO) {
                continue;
            }
            // A fail without an outcome (NOT_LEADER to a duplicate, say) did nothing itself and says
            // nothing about the tid: only ABORTED and REJECTED answers claim "not committed".
            Object status = c.resultOf("status");
            if (c.type() == OpType.FAIL && !"ABORTED".equals(status) && !"REJECTED".equals(status)) {
                continue;
            }
            String tid = c.tid();
            Set<String> inLog = Tids.committedInLog(tid, observed);
            Set<String> atServices = Tids.committedAtParticipants(tid, attempts);
            if (c.type() == OpType.OK) {
                committed++;
                if (inLog.isEmpty()) {
                    result.problem(tid + ": acknowledged COMMITTED (op " + c.completion().index()
                            + "), but no log holds a COMMIT for it");
                }
                OrderFacts order = facts.get(tid);
                if (order != null && !inLog.isEmpty()) {
                    String attempt = inLog.iterator().next();
                    for (String service : order.services()) {
                        Map<String, Map<String, String>> byTid = attempts.get(service);
                        String state = byTid == null ? null : byTid.getOrDefault(tid, Map.of()).get(attempt);
                        if (byTid != null && !Observed.COMMITTED.equals(state)) {
                            result.problem(tid + ": acknowledged COMMITTED, but " + service + " holds " + attempt
                                    + " as " + (state == null ? "NONE" : state));
                        }
                    }
                }
            } else {
                notCommitted++;
                if (!inLog.isEmpty() || !atServices.isEmpty()) {
                    result.problem(tid + ": answered " + c.resultOf("status") + " (op " + c.completion().index()
                            + "), but committed in the log " + inLog + " / at services " + atServices);
                }
            }
        }
        return result.build(Map.of("acknowledgedCommitted", committed, "answeredNotCommitted", notCommitted));
    }
}
