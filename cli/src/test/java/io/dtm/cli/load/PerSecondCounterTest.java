package io.dtm.cli.load;

import io.dtm.cli.load.PerSecondCounter.Window;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Counting per second on a clock the test moves, and the 10-second windows made of the counts. */
class PerSecondCounterTest {
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(5 * SECOND); // any origin: the counter starts where it is made

    private void at(double seconds) {
        now.set(5 * SECOND + (long) (seconds * SECOND));
    }

    @Test
    void countsEachCompletionInTheSecondItHappenedFromWhenTheCounterWasMade() {
        PerSecondCounter counter = new PerSecondCounter(now::get, 10);
        at(0);
        counter.count();
        at(0.999);
        counter.count();
        at(1.0);
        counter.count();
        at(3.5);
        counter.count();
        counter.count();

        assertThat(counter.wholeSeconds()).as("only the seconds that are over").containsExactly(2, 1, 0);
        at(4.0);
        assertThat(counter.wholeSeconds()).containsExactly(2, 1, 0, 2);
        assertThat(counter.firstSeconds(2)).containsExactly(2, 1);
    }

    @Test
    void completionsPastItsSpanAreNotCounted() {
        PerSecondCounter counter = new PerSecondCounter(now::get, 2);
        at(1.5);
        counter.count();
        at(2.0);
        counter.count(); // the drain after the run: not part of it
        at(9);
        assertThat(counter.wholeSeconds()).containsExactly(0, 1);
        assertThat(counter.firstSeconds(100)).hasSize(2);
    }

    @Test
    void aWindowIsTheRateOfItsTenSecondsAndWarmUpWhenItBeginsBeforeWarmUpEnds() {
        long[] perSecond = new long[30];
        for (int s = 0; s < 30; s++) {
            perSecond[s] = s < 10 ? 70 + s : s < 20 ? 300 : 400; // 70..79, then 300, then 400
        }
        assertThat(PerSecondCounter.windows(perSecond, Duration.ofSeconds(5))).containsExactly(
                new Window(0, 10, 74.5, true), new Window(10, 20, 300, false), new Window(20, 30, 400, false));
        assertThat(PerSecondCounter.windows(perSecond, Duration.ofSeconds(10)))
                .extracting(Window::warmup).containsExactly(true, false, false);
        assertThat(PerSecondCounter.windows(perSecond, Duration.ofMillis(10_001)))
                .extracting(Window::warmup).containsExactly(true, true, false);
        assertThat(PerSecondCounter.windows(perSecond, Duration.ZERO))
                .extracting(Window::warmup).containsExactly(false, false, false);
    }

    @Test
    void aLastPartialWindowCountsOnlyFromFiveSecondsAndThenOverItsTrueLength() {
        long[] twentyFour = new long[24];
        java.util.Arrays.fill(twentyFour, 10);
        twentyFour[23] = 50;
        assertThat(PerSecondCounter.windows(twentyFour, Duration.ZERO)).extracting(Window::toSecond)
                .as("4 s left over: too short").containsExactly(10, 20);

        long[] twentySeven = new long[27];
        java.util.Arrays.fill(twentySeven, 10);
        twentySeven[26] = 45;
        assertThat(PerSecondCounter.windows(twentySeven, Duration.ZERO)).last()
                .isEqualTo(new Window(20, 27, (6 * 10 + 45) / 7.0, false))
                .extracting(Window::seconds).isEqualTo(7);

        assertThat(PerSecondCounter.windows(new long[25], Duration.ZERO)).last().extracting(Window::seconds).isEqualTo(5);
        assertThat(PerSecondCounter.windows(new long[4], Duration.ZERO)).as("a run shorter than 5 s").isEmpty();
        assertThat(PerSecondCounter.windows(new long[7], Duration.ofSeconds(2)))
                .containsExactly(new Window(0, 7, 0, true));
    }

    @Test
    void windowsOfTheCounterCoverTheSecondsThatAreOver() {
        PerSecondCounter counter = new PerSecondCounter(now::get, 40);
        for (int s = 0; s < 16; s++) {
            at(s + 0.5);
            for (int i = 0; i < s; i++) {
                counter.count();
            }
        }
        at(16.2);
        assertThat(counter.windows(Duration.ofSeconds(3))).containsExactly(
                new Window(0, 10, 4.5, true), new Window(10, 16, 12.5, false));
    }
}
