package io.dtm.time;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class SteadyClockTest {
    @Test
    void startsAtTheAnchorAndMovesOnlyWithTheMonotonicClock() {
        AtomicLong nanos = new AtomicLong(123_456_789);
        SteadyClock clock = SteadyClock.of(1_700_000_000_000L, nanos::get);

        assertThat(clock.getAsLong()).isEqualTo(1_700_000_000_000L);
        nanos.addAndGet(2_500_000_000L);
        assertThat(clock.getAsLong()).isEqualTo(1_700_000_002_500L);
    }

    @Test
    void theSystemClockWithAnOffsetIsReadOnceAtTheStart() {
        long before = System.currentTimeMillis();
        SteadyClock ahead = SteadyClock.ofSystem(3_600_000);
        long after = System.currentTimeMillis();

        assertThat(ahead.getAsLong() - 3_600_000).isBetween(before, after + 1_000);
    }
}
