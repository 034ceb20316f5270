package io.dtm.coordinator.admin;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Metrics keyed by a caller-supplied kind (an abort reason, a retry kind, a service), at most
 * {@code maxKinds} of them; every further kind shares the {@value #OTHER} metric.
 *
 * <p>The bound exists because kinds become metric names: a caller that passed free text (an error
 * message, a tid) would otherwise grow the registry, the JMX tree and every /metrics response
 * without limit. A lookup of a known kind is one map read and allocates nothing, so the 2PC engine
 * can call it per transaction.
 *
 * @param <M> the metric (or nested family) kept per kind
 */
final class BoundedMetricFamily<M> {
    /** The kind that absorbs every kind beyond the bound, and null kinds. */
    static final String OTHER = "OTHER";

    private final Map<String, M> byKind = new ConcurrentHashMap<>();
    private final Function<String, M> factory;
    private final int maxKinds;
    private volatile M other;

    /**
     * @param maxKinds how many distinct kinds get their own metric, {@value #OTHER} not included
     * @param factory  creates (or looks up) the metric of a kind; called at most once per kind
     */
    BoundedMetricFamily(int maxKinds, Function<String, M> factory) {
        if (maxKinds < 1) {
            throw new IllegalArgumentException("maxKinds must be positive: " + maxKinds);
        }
        this.maxKinds = maxKinds;
        this.factory = factory;
    }

    /** The metric of {@code kind}, or the shared {@value #OTHER} metric once the bound is reached. */
    M get(String kind) {
        if (kind == null) {
            return other();
        }
        M metric = byKind.get(kind);
        if (metric != null) {
            return metric;
        }
        // Checked before taking the lock so that a caller spraying unknown kinds after the bound
        // is reached does not serialise the hot path on it.
        if (byKind.size() >= maxKinds || OTHER.equals(kind)) {
            return other();
        }
        return create(kind);
    }

    private synchronized M create(String kind) {
        M metric = byKind.get(kind);
        if (metric != null) {
            return metric;
        }
        if (byKind.size() >= maxKinds) {
            return other();
        }
        metric = factory.apply(kind);
        byKind.put(kind, metric);
        return metric;
    }

    private M other() {
        M metric = other;
        if (metric == null) {
            synchronized (this) {
                metric = other;
                if (metric == null) {
                    metric = factory.apply(OTHER);
                    other = metric;
                }
            }
        }
        return metric;
    }
}
