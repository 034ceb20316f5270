package io.dtm.coordinator;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Retention is per log group: a node with many groups is warned when full tables could not fit its heap. */
class RetentionBudgetTest {
    private static final long HEAP_512_MB = 512L << 20;

    @Test
    void theDefaultsFitWithOneOrThreeGroups() {
        assertThat(RetentionBudget.warning(1, 250_000, HEAP_512_MB)).isEmpty();
        assertThat(RetentionBudget.warning(3, 250_000, HEAP_512_MB)).isEmpty();
    }

    @Test
    void twelveGroupsOfTheDefaultRetentionDoNot() {
        assertThat(RetentionBudget.warning(12, 250_000, HEAP_512_MB)).get().asString()
                .contains("applies to each of this node's 12 log groups")
                .contains("up to 3,000,000 outcomes, about 386 MB, against a heap of 512 MB")
                .contains("Lower log.retention.maxOutcomes");
        assertThat(RetentionBudget.warning(12, 50_000, HEAP_512_MB)).isEmpty();
    }
}
