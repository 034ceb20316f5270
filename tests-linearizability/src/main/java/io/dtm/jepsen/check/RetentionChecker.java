package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Retention keeps its promise: no tid is said to be "no longer retained" — a submission answered
 * REJECTED "the outcome of tid X is no longer retained", or a read that finds it FORGOTTEN — while
 * the log must still hold its outcome ({@link Retention#promises}: younger than the age bound, and
 * too few tids since for the count bound). Past the promise such answers are the contract, and
 * counted. This is what catches a log time run ahead of the members' clocks: one node's clock
 * hours ahead must not make the log forget outcomes of minutes ago.
 */
public final class RetentionChecker {
    public static final String NAME = "retention";

    private RetentionChecker() {
    }

    public static CheckResult check(List<Op> history, Retention retention) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Retention.FirstSubmissions first = new Retention.FirstSubmissions(history);
        int withinPromise = 0;
        int pastPromise = 0;
        for (Calls.Call c : Calls.of(history)) {
            if (!saysNotRetained(c)) {
                continue;
            }
            long at = c.completion().time();
            long since = first.of(c.tid());
            int tidsSoFar = first.upTo(at);
            if (!retention.promises(since, at, tidsSoFar)) {
                pastPromise++;
                continue;
            }
            withinPromise++;
            result.problem(c.tid() + ": " + (c.isRead() ? "read as FORGOTTEN" : "answered \"no longer retained\"")
                    + " (op " + c.completion().index() + ") " + TimeUnit.NANOSECONDS.toSeconds(at - since)
                    + " s after it was first submitted, with " + tidsSoFar + " tids submitted so far: the log keeps "
                    + retention.maxOutcomes() + " outcomes for " + retention.maxAgeMs() + " ms");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("maxOutcomes", retention.maxOutcomes());
        details.put("maxAgeMs", retention.maxAgeMs());
        details.put("notRetainedWithinPromise", withinPromise);
        details.put("notRetainedPastPromise", pastPromise);
        return result.build(details);
    }

    /** A submission answered "no longer retained", or a read that found the tid FORGOTTEN. */
    static boolean saysNotRetained(Calls.Call c) {
        if (c.completion() == null) {
            return false;
        }
        if (c.isSubmission()) {
            return c.answer() == Answer.NOT_RETAINED;
        }
        return c.isRead() && c.type() == OpType.OK && OutcomeRegisterChecker.FORGOTTEN.equals(c.resultOf("outcome"));
    }
}
