package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;

import java.util.List;
import java.util.Map;

/**
 * One answer per tid, whoever asks and whenever: the tid is the request of its first submission,
 * and the answer for it never changes, except that past retention it may become "no longer
 * retained". Per tid:
 *
 * <ul>
 *   <li>a different request under the tid ({@code resubmit-other}) is never answered COMMITTED or
 *       ABORTED, and when REJECTED, only because the tid is another request's ("was used for a
 *       different request", "is running with a different request") or "no longer retained";</li>
 *   <li>the tid's own request (its submission, a resubmission, a probe) is never answered as if it
 *       were another's;</li>
 *   <li>once the tid has an outcome (some client was told COMMITTED or ABORTED), no submission of
 *       its own request is REJECTED for any other reason than "no longer retained" — not later, and
 *       not earlier either, since the same request is valid or invalid for good.</li>
 * </ul>
 *
 * That every COMMITTED and ABORTED answer (and status read) for a tid agree is the
 * {@link OutcomeRegisterChecker}'s to check; OVERLOADED, UNKNOWN and refusals without a status say
 * nothing and are allowed anywhere.
 */
public final class AnswersChecker {
    public static final String NAME = "answers";

    private AnswersChecker() {
    }

    public static CheckResult check(List<Op> history) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Map<String, List<Calls.Call>> byTid = Calls.byTid(Calls.of(history));
        int otherRequests = 0;
        int answers = 0;
        for (Map.Entry<String, List<Calls.Call>> e : byTid.entrySet()) {
            String tid = e.getKey();
            Calls.Call outcome = e.getValue().stream()
                    .filter(c -> c.isOwnRequest() && c.answer().isOutcome()).findFirst().orElse(null);
            for (Calls.Call c : e.getValue()) {
                if (!c.isSubmission()) {
                    continue;
                }
                answers++;
                Answer a = c.answer();
                if (c.isOtherRequest()) {
                    otherRequests++;
                    if (a.isOutcome() || a == Answer.REJECTED) {
                        result.problem(tid + ": a different request under it was answered " + describe(c)
                                + ": the tid is the request first submitted (op " + e.getValue().get(0).invoke().index()
                                + "), another request may only be refused as such");
                    }
                } else if (a == Answer.DIFFERENT_REQUEST) {
                    result.problem(tid + ": its own request was answered " + describe(c)
                            + ": no other request ever had the tid");
                } else if (a == Answer.REJECTED && outcome != null) {
                    result.problem(tid + ": its own request was answered " + describe(c) + ", but op "
                            + outcome.completion().index() + " had answered it " + outcome.answer()
                            + ": the answer for a tid never changes");
                }
            }
        }
        return result.build(Map.of("tids", byTid.size(), "answers", answers, "otherRequests", otherRequests));
    }

    private static String describe(Calls.Call c) {
        String status = String.valueOf(c.resultOf("status"));
        String reason = c.completion() == null ? null : c.completion().error();
        return status + (reason == null || reason.isEmpty() ? "" : " (\"" + reason + "\")") + " (op "
                + c.completion().index() + ")";
    }
}
