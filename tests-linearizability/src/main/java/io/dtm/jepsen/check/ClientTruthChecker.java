package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a client was told is what happened, durably: an acknowledged COMMITTED is committed in the
 * log and at every service the order names; an ABORTED, or a REJECTED that says nothing ran, is
 * committed nowhere. Answers that claim nothing about the outcome are not checked here: an
 * {@code info} answer may have gone either way (atomicity covers it), a refusal without a status
 * did nothing, "no longer retained" and "used for a different request" speak of the tid's past,
 * not of this submission, and a different request under the tid is not the tid's.
 *
 * <p>When the log may have dropped outcomes of this run ({@link Retention#mayHaveForgotten}), a
 * COMMITTED missing from the final log is judged by the services, which keep every attempt they
 * finished: committed at every service the order names. Whatever could not be read (no node's log,
 * a service) makes the result unknown, never valid.
 */
public final class ClientTruthChecker {
    public static final String NAME = "client-truth";

    private ClientTruthChecker() {
    }

    public static CheckResult check(List<Op> history, Observed observed, Retention retention) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Map<String, OrderFacts> facts = AtomicityChecker.facts(history);
        Map<String, Map<String, Map<String, String>>> attempts = Tids.participantAttempts(observed);
        Set<String> unreadServices = observed.unreadServices();
        boolean logMayForget = retention.mayHaveForgotten(history);
        int committed = 0;
        int notCommitted = 0;
        int byServicesOnly = 0;
        for (Calls.Call c : Calls.of(history)) {
            if (!c.isOwnRequest() || c.completion() == null) {
                continue;
            }
            Answer answer = c.answer();
            if (answer != Answer.COMMITTED && answer != Answer.ABORTED && answer != Answer.REJECTED) {
                continue;
            }
            if (observed.logs().isEmpty()) {
                result.unknown("no node's log could be read");
                continue;
            }
            String tid = c.tid();
            Set<String> inLog = Tids.committedInLog(tid, observed);
            Set<String> atServices = Tids.committedAtParticipants(tid, attempts);
            if (answer == Answer.COMMITTED) {
                committed++;
                String attempt;
                if (!inLog.isEmpty()) {
                    attempt = inLog.iterator().next();
                } else if (!logMayForget) {
                    result.problem(tid + ": acknowledged COMMITTED (op " + c.completion().index()
                            + "), but no log holds a COMMIT for it");
                    continue;
                } else if (!atServices.isEmpty()) {
                    attempt = atServices.iterator().next();
                    byServicesOnly++;
                } else {
                    if (unreadServices.isEmpty()) {
                        result.problem(tid + ": acknowledged COMMITTED (op " + c.completion().index()
                                + "), but no log retains a COMMIT for it and no service holds it committed");
                    } else {
                        result.unknown(tid + ": no log retains it and " + unreadServices + " could not be read");
                    }
                    continue;
                }
                OrderFacts order = facts.get(tid);
                if (order != null) {
                    committedEverywhere(tid, attempt, order, attempts, result);
                }
            } else {
                notCommitted++;
                if (!inLog.isEmpty() || !atServices.isEmpty()) {
                    result.problem(tid + ": answered " + c.resultOf("status") + " (op " + c.completion().index()
                            + "), but committed in the log " + inLog + " / at services " + atServices);
                } else if (!unreadServices.isEmpty()) {
                    result.unknown(tid + ": answered " + c.resultOf("status") + ", but " + unreadServices
                            + " could not be read");
                }
            }
        }
        return result.build(Map.of("acknowledgedCommitted", committed, "answeredNotCommitted", notCommitted,
                "committedByServicesOnly", byServicesOnly));
    }

    /** {@code attempt} committed at every service the order names; a service not read makes it unknown. */
    private static void committedEverywhere(String tid, String attempt, OrderFacts order,
            Map<String, Map<String, Map<String, String>>> attempts, CheckResult.Builder result) {
        Set<String> unread = new TreeSet<>();
        for (String service : order.services()) {
            Map<String, Map<String, String>> byTid = attempts.get(service);
            if (byTid == null) {
                unread.add(service);
                continue;
            }
            String state = byTid.getOrDefault(tid, Map.of()).get(attempt);
            if (!Observed.COMMITTED.equals(state)) {
                result.problem(tid + ": acknowledged COMMITTED, but " + service + " holds " + attempt + " as "
                        + (state == null ? "NONE" : state));
            }
        }
        if (!unread.isEmpty()) {
            result.unknown(tid + ": acknowledged COMMITTED, but " + unread + " could not be read");
        }
    }
}
