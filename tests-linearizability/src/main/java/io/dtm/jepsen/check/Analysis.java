package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/** Every checker over one test's history and final state, combined: invalid beats unknown beats valid. */
public record Analysis(Verdict verdict, List<CheckResult> results, Map<String, Map<String, Long>> counts) {

    /** @param retention what the cluster's log was configured to retain in this run */
    public static Analysis of(List<Op> history, Observed observed, Set<String> nodes, Retention retention,
            LongSupplier clock, long registerDeadlineNanos) {
        List<CheckResult> results = List.of(
                OutcomeRegisterChecker.check(history, clock, registerDeadlineNanos),
                AnswersChecker.check(history),
                RetentionChecker.check(history, retention),
                AtomicityChecker.check(history, observed),
                AgreementChecker.check(observed, nodes),
                ClientTruthChecker.check(history, observed, retention),
                ConservationChecker.check(history, observed, retention),
                ResolutionChecker.check(history, observed),
                RogueChecker.check(history));
        Verdict verdict = Verdict.VALID;
        for (CheckResult r : results) {
            verdict = verdict.and(r.verdict());
        }
        return new Analysis(verdict, results, counts(history));
    }

    /** Per client operation ({@code submit}, {@code resubmit}, {@code read}, ...): how many ended ok, fail, info. */
    static Map<String, Map<String, Long>> counts(List<Op> history) {
        Map<String, Map<String, Long>> counts = new TreeMap<>();
        for (Calls.Call c : Calls.of(history)) {
            Map<String, Long> byType = counts.computeIfAbsent(c.f(), f -> {
                Map<String, Long> m = new LinkedHashMap<>();
                for (OpType t : List.of(OpType.OK, OpType.FAIL, OpType.INFO)) {
                    m.put(t.wire(), 0L);
                }
                return m;
            });
            byType.merge(c.type().wire(), 1L, Long::sum);
        }
        return counts;
    }

    /** As {@code results.json} holds it. */
    public Map<String, Object> toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("valid", verdict.wire());
        Map<String, Object> checkers = new LinkedHashMap<>();
        for (CheckResult r : results) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("valid", r.verdict().wire());
            c.put("problemCount", r.problemCount());
            c.put("problems", r.problems());
            c.put("details", r.details());
            checkers.put(r.checker(), c);
        }
        o.put("checkers", checkers);
        o.put("counts", counts);
        return o;
    }
}
