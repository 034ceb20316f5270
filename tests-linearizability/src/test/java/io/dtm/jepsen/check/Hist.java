package io.dtm.jepsen.check;

import io.dtm.jepsen.history.ClientOps;
import io.dtm.jepsen.history.History;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.List;
import java.util.Map;

/** Builds histories for checker tests, on a clock the test moves. */
final class Hist {
    private long now;
    private final History history = new History(() -> now, op -> { });

    Hist at(long time) {
        now = time;
        return this;
    }

    Op submit(int process, String tid, List<String> services, long units, long cents) {
        return history.invoke(process, "submit", new OrderFacts(services, units, cents).toValue(), "n1", tid);
    }

    /** The same tid and request again, straight to node n1. */
    Op resubmit(int process, String tid, List<String> services, long units, long cents) {
        return history.invoke(process, ClientOps.RESUBMIT, new OrderFacts(services, units, cents).toValue(), "n1", tid);
    }

    /** A different request under an earlier tid. */
    Op resubmitOther(int process, String tid, List<String> services, long units, long cents) {
        return history.invoke(process, ClientOps.RESUBMIT_OTHER, new OrderFacts(services, units, cents).toValue(), null,
                tid);
    }

    Op read(int process, String tid) {
        return history.invoke(process, "read", null, "n2", tid);
    }

    Op probe(int process, String tid) {
        return history.invoke(process, "probe", new OrderFacts(List.of("payment"), 0, 100).toValue(), "n1", tid);
    }

    void committed(Op invoke) {
        history.complete(invoke, OpType.OK, Map.of("status", "COMMITTED"), null);
    }

    void aborted(Op invoke) {
        history.complete(invoke, OpType.FAIL, Map.of("status", "ABORTED"), "payment: CARD_DECLINED: declined");
    }

    void rejected(Op invoke, String reason) {
        history.complete(invoke, OpType.FAIL, Map.of("status", "REJECTED"), reason);
    }

    /** REJECTED "the outcome of tid X is no longer retained", as the coordinator words it. */
    void notRetained(Op invoke) {
        rejected(invoke, "the outcome of tid " + invoke.tid() + " is no longer retained (" + invoke.tid()
                + "#1 ended long ago: the log keeps the last 50 outcomes, for at most 3600000 ms of log time); nothing"
                + " of this submission was applied");
    }

    void overloaded(Op invoke, String reason) {
        history.complete(invoke, OpType.INFO, Map.of("status", "OVERLOADED"), reason);
    }

    void unknown(Op invoke) {
        history.complete(invoke, OpType.INFO, Map.of("status", "UNKNOWN"), "no outcome within 30000 ms");
    }

    /** A duplicate sent straight to a node that does not lead: refused, nothing done, no outcome. */
    void notLeader(Op invoke) {
        history.complete(invoke, OpType.FAIL, null, "not the leader");
    }

    void saw(Op read, String outcome) {
        history.complete(read, OpType.OK, Map.of("outcome", outcome), null);
    }

    /** A nemesis that started and said what it did. */
    void nemesis(String f, Object what) {
        history.complete(history.nemesis(f, null, null), OpType.INFO, what, null);
    }

    List<Op> ops() {
        return history.ops();
    }
}
