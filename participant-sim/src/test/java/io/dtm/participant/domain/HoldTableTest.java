package io.dtm.participant.domain;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HoldTableTest {
    private final HoldTable holds = new HoldTable();

    @Test
    void sharedHoldsShareAndKeepOutAnExclusiveOne() {
        holds.take("k", "t-1", false);

        assertThat(holds.conflict("k", "t-2", false)).isEmpty();
        holds.take("k", "t-2", false);
        assertThat(holds.conflict("k", "t-3", true)).contains("t-1");
        holds.release("k", "t-1");
        assertThat(holds.conflict("k", "t-3", true)).contains("t-2");
        holds.release("k", "t-2");
        assertThat(holds.conflict("k", "t-3", true)).isEmpty();
        assertThat(holds.size()).isZero();
    }

    @Test
    void anExclusiveHoldKeepsOutEveryOtherHold() {
        holds.take("k", "t-1", true);

        assertThat(holds.conflict("k", "t-2", false)).contains("t-1");
        assertThat(holds.conflict("k", "t-2", true)).contains("t-1");
        assertThat(holds.conflict("other", "t-2", true)).isEmpty();
    }

    @Test
    void aTransactionNeverConflictsWithItself() {
        holds.take("k", "t-1", false);
        assertThat(holds.conflict("k", "t-1", true)).isEmpty();

        holds.take("j", "t-1", true);
        assertThat(holds.conflict("j", "t-1", false)).isEmpty();
    }

    @Test
    void aReleaseFreesOnlyTheReleasersOwnHold() {
        holds.take("k", "t-1", true);
        holds.take("s", "t-2", false);

        holds.release("k", "t-9");
        holds.release("s", "t-9");

        assertThat(holds.conflict("k", "t-3", false)).contains("t-1");
        assertThat(holds.conflict("s", "t-3", true)).contains("t-2");
        assertThat(holds.size()).isEqualTo(2);
    }
}
