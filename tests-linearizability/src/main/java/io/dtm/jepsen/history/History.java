package io.dtm.jepsen.history;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Records a test's operations as they happen, from any thread: each gets the next index and the
 * time from the injected clock, and goes to the sink (e.g. {@code history.jsonl}) at once, so
 * that a harness that dies mid-test still leaves its history behind.
 */
public final class History {
    private final LongSupplier nanoClock;
    private final long startNanos;
    private final Consumer<Op> sink;
    private final List<Op> ops = new ArrayList<>();

    /** @param nanoClock e.g. {@code System::nanoTime}; times are recorded relative to its value now */
    public History(LongSupplier nanoClock, Consumer<Op> sink) {
        this.nanoClock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
        this.sink = sink;
    }

    /** Records that {@code process} starts {@code f}; the returned op is what its completion refers to. */
    public synchronized Op invoke(int process, String f, Object value, String node, String tid) {
        return add(OpType.INVOKE, process, f, value, null, node, tid);
    }

    /** Records the completion of {@code invocation}. */
    public synchronized Op complete(Op invocation, OpType type, Object value, String error) {
        if (type == OpType.INVOKE) {
            throw new IllegalArgumentException("a completion is ok, fail or info");
        }
        if (invocation.isNemesis() && type != OpType.INFO) {
            throw new IllegalArgumentException("nemesis operations are info");
        }
        return add(type, invocation.process(), invocation.f(), value, error, invocation.node(), invocation.tid());
    }

    /**
     * Records that the nemesis starts {@code f} (e.g. {@code start-kill-leader}); as in Jepsen, both
     * this op and its completion ({@link #complete} with {@code info}) are of type {@code info}.
     */
    public synchronized Op nemesis(String f, Object value, String node) {
        return add(OpType.INFO, Op.NEMESIS, f, value, null, node, null);
    }

    /** Every op so far, in order. */
    public synchronized List<Op> ops() {
        return List.copyOf(ops);
    }

    private Op add(OpType type, int process, String f, Object value, String error, String node, String tid) {
        Op op = new Op(ops.size(), nanoClock.getAsLong() - startNanos, type, process, f, value, error, node, tid);
        ops.add(op);
        sink.accept(op);
        return op;
    }
}
