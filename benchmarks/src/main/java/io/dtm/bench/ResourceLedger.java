package io.dtm.bench;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the no-op resources of one run were asked to do, counted across every transaction: the
 * evidence that the transaction manager really ran both phases on each of them.
 */
final class ResourceLedger {

    private final LongAdder prepares = new LongAdder();
    private final LongAdder commits = new LongAdder();
    private final LongAdder rollbacks = new LongAdder();
    private final LongAdder violations = new LongAdder();

    void prepared() {
        prepares.increment();
    }

    void committed() {
        commits.increment();
    }

    void rolledBack() {
        rollbacks.increment();
    }

    /** A call out of protocol order, such as a commit with no prepare before it. */
    void violation() {
        violations.increment();
    }

    /** The counts so far; exact once no transaction is running. */
    Counts counts() {
        return new Counts(prepares.sum(), commits.sum(), rollbacks.sum(), violations.sum());
    }

    /** Calls received by all resources of a run. */
    record Counts(long prepares, long commits, long rollbacks, long violations) {
    }
}
