package io.dtm.jepsen.check;

import io.dtm.jepsen.history.ClientOps;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The history's client operations paired: each invocation with its completion (a process runs one
 * operation at a time), or with none when the test ended first — which counts as {@code info}.
 */
final class Calls {
    /** One client operation; {@code completion} is null when it never completed. */
    record Call(Op invoke, Op completion) {
        OpType type() {
            return completion == null ? OpType.INFO : completion.type();
        }

        String tid() {
            return invoke.tid();
        }

        String f() {
            return invoke.f();
        }

        /** When it completed; a call that never did completes at the end of time. */
        long completedAt() {
            return completion == null ? Long.MAX_VALUE : completion.time();
        }

        Object resultOf(String key) {
            return completion == null ? null : completion.valueOf(key);
        }

        /** A submission of the tid's own request: the first, a resubmission of it, or a probe. */
        boolean isOwnRequest() {
            return f().equals(ClientOps.SUBMIT) || f().equals(ClientOps.RESUBMIT) || f().equals(ClientOps.PROBE);
        }

        /** A submission of a request other than the one the tid is (its first submission's). */
        boolean isOtherRequest() {
            return f().equals(ClientOps.RESUBMIT_OTHER);
        }

        boolean isSubmission() {
            return isOwnRequest() || isOtherRequest();
        }

        boolean isRead() {
            return f().equals(ClientOps.READ);
        }

        /** What a submission's answer says about its tid. */
        Answer answer() {
            if (!isSubmission()) {
                throw new IllegalStateException("op " + invoke.index() + " (" + f() + ") is not a submission");
            }
            return Answer.of(this);
        }
    }

    private Calls() {
    }

    static List<Call> of(List<Op> history) {
        List<Call> calls = new ArrayList<>();
        Map<Integer, Integer> open = new HashMap<>();
        for (Op op : history) {
            if (op.isNemesis()) {
                continue;
            }
            if (op.isInvoke()) {
                Integer previous = open.put(op.process(), calls.size());
                if (previous != null) {
                    throw new IllegalArgumentException("process " + op.process() + " invoked op " + op.index()
                            + " while op " + calls.get(previous).invoke().index() + " was still open");
                }
                calls.add(new Call(op, null));
            } else {
                Integer at = open.remove(op.process());
                if (at == null) {
                    throw new IllegalArgumentException("op " + op.index() + " completes nothing: process "
                            + op.process() + " had no open invocation");
                }
                calls.set(at, new Call(calls.get(at).invoke(), op));
            }
        }
        return calls;
    }

    /** The calls about each tid, in invocation order. */
    static Map<String, List<Call>> byTid(Collection<Call> calls) {
        Map<String, List<Call>> byTid = new LinkedHashMap<>();
        for (Call c : calls) {
            if (c.tid() != null) {
                byTid.computeIfAbsent(c.tid(), t -> new ArrayList<>()).add(c);
            }
        }
        return byTid;
    }
}
