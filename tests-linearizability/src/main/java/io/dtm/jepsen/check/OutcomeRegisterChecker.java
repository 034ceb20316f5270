package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Each tid's outcome is a write-once register, written by the cluster (COMMIT or ABORT) at some
 * moment nobody observes, read by every {@code submit} answer and every {@code read} of its
 * status. Linearizable means: every definite value for a tid is the same, and an operation that
 * began after some operation had completed with a definite value sees that value — once a client
 * was told an outcome, no later read may say "none yet" or the other one.
 *
 * <p>Definite values: a submission of the tid's own request (its first, a resubmission, a probe)
 * that is {@code ok} (COMMIT) or {@code fail} with status ABORTED (ABORT); a {@code read} that is
 * {@code ok} with outcome COMMIT or ABORT. A read with outcome NONE (no decision yet) is a read of
 * the unwritten register. The register may be forgotten, never rewritten: a read that finds the
 * tid FORGOTTEN, like an answer "no longer retained", contradicts nothing here (whether it came too
 * early is the {@link RetentionChecker}'s to say). A different request under the tid reads nothing.
 */
public final class OutcomeRegisterChecker {
    public static final String NAME = "outcome-register";
    /** A read's outcome when the log no longer retains the tid's outcome (status FORGOTTEN). */
    public static final String FORGOTTEN = "FORGOTTEN";

    private OutcomeRegisterChecker() {
    }

    /** Gives up with UNKNOWN, rather than running on, when {@code clock} passes {@code deadlineNanos}. */
    public static CheckResult check(List<Op> history, LongSupplier clock, long deadlineNanos) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Map<String, List<Calls.Call>> byTid = Calls.byTid(Calls.of(history));
        int checked = 0;
        for (Map.Entry<String, List<Calls.Call>> e : byTid.entrySet()) {
            if (clock.getAsLong() > deadlineNanos) {
                result.unknown("out of time after " + checked + " of " + byTid.size() + " tids");
                break;
            }
            checkTid(e.getKey(), e.getValue(), result);
            checked++;
        }
        return result.build(Map.of("tids", byTid.size(), "checked", checked));
    }

    private static void checkTid(String tid, List<Calls.Call> calls, CheckResult.Builder result) {
        String value = null;
        Calls.Call first = null;
        Calls.Call earliestCompleted = null;
        for (Calls.Call c : calls) {
            String v = definite(c);
            if (v == null) {
                continue;
            }
            if (value == null) {
                value = v;
                first = c;
            } else if (!value.equals(v)) {
                result.problem(tid + ": op " + first.completion().index() + " says " + value + ", op "
                        + c.completion().index() + " says " + v);
                return;
            }
            if (earliestCompleted == null || c.completedAt() < earliestCompleted.completedAt()) {
                earliestCompleted = c;
            }
        }
        if (earliestCompleted == null) {
            return;
        }
        for (Calls.Call c : calls) {
            if (c.isRead() && c.type() == OpType.OK && c.invoke().time() > earliestCompleted.completedAt()
                    && !value.equals(c.resultOf("outcome")) && !FORGOTTEN.equals(c.resultOf("outcome"))) {
                result.problem(tid + ": read op " + c.completion().index() + " began after op "
                        + earliestCompleted.completion().index() + " had returned " + value + ", but saw "
                        + c.resultOf("outcome"));
            }
        }
    }

    /** COMMIT or ABORT when the call observed one, else null. */
    static String definite(Calls.Call c) {
        if (c.isOwnRequest()) {
            return switch (c.answer()) {
                case COMMITTED -> Observed.COMMIT;
                case ABORTED -> Observed.ABORT;
                default -> null;
            };
        }
        if (c.isRead() && c.type() == OpType.OK) {
            Object outcome = c.resultOf("outcome");
            return Observed.COMMIT.equals(outcome) || Observed.ABORT.equals(outcome) ? (String) outcome : null;
        }
        return null;
    }
}
