package io.dtm.jepsen.check;

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

    List<Op> ops() {
        return history.ops();
    }
}
