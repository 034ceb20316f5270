package io.dtm.coordinator;

import java.util.Optional;

/**
 * The log's retention bounds apply to each log group ({@code log.retention.maxOutcomes} outcomes
 * per group), so a node holding many groups may retain many times the configured number: what that
 * could cost, and a warning when it could take more than half the node's heap. Pure.
 */
final class RetentionBudget {
    /** What the log's table holds per retained outcome (docs/PERFORMANCE.md, "Memory": 135 B). */
    static final long BYTES_PER_OUTCOME = 135;

    private RetentionBudget() {
    }

    /** The warning, or empty when {@code groups} full tables fit in half of {@code maxHeapBytes}. */
    static Optional<String> warning(int groups, int maxOutcomes, long maxHeapBytes) {
        long outcomes = (long) groups * maxOutcomes;
        long bytes = outcomes * BYTES_PER_OUTCOME;
        if (bytes <= maxHeapBytes / 2) {
            return Optional.empty();
        }
        return Optional.of(String.format("log.retention.maxOutcomes (%,d) applies to each of this node's %d log"
                + " groups: up to %,d outcomes, about %,d MB, against a heap of %,d MB. Lower log.retention.maxOutcomes"
                + " (or give the node more heap) before the tables fill", maxOutcomes, groups, outcomes,
                bytes >> 20, maxHeapBytes >> 20));
    }
}
