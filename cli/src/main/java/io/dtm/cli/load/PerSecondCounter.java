package io.dtm.cli.load;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Completions of a load counted per second of its own clock, from the moment the counter was made,
 * and their rate over 10-second windows. Each load keeps one from its very first request, warm-up
 * included: throughput climbs for minutes while the JVMs compile, and a single number measured after
 * an arbitrary warm-up hides how far up that climb the run was.
 *
 * <p>Thread-safe: {@link #count} is called from whichever thread completes a request. The clock is
 * injected so that the arithmetic is tested without waiting.
 */
public final class PerSecondCounter {
    /** The length of a window. */
    public static final int WINDOW_SECONDS = 10;
    /** A last, partial window shorter than this says too little (a few seconds of a closed loop) and is left out. */
    public static final int MIN_LAST_WINDOW_SECONDS = 5;

    /**
     * The rate of completions over {@code [fromSecond, toSecond)} of the load's clock. {@code warmup}:
     * some of the window falls in the unmeasured warm-up.
     */
    public record Window(int fromSecond, int toSecond, double perSecond, boolean warmup) {
        public int seconds() {
            return toSecond - fromSecond;
        }
    }

    private final LongSupplier nanoTime;
    private final long startNanos;
    private final AtomicLongArray counts;

    /**
     * Starts counting now, by {@code nanoTime}, for at most {@code seconds} seconds: completions
     * after that (a run's drain) are not counted.
     */
    public PerSecondCounter(LongSupplier nanoTime, long seconds) {
        this.nanoTime = nanoTime;
        this.startNanos = nanoTime.getAsLong();
        this.counts = new AtomicLongArray((int) Math.max(0, Math.min(Integer.MAX_VALUE - 8, seconds)));
    }

    /** Counts one completion in the second it happened. */
    public void count() {
        long second = (nanoTime.getAsLong() - startNanos) / 1_000_000_000L;
        if (second >= 0 && second < counts.length()) {
            counts.incrementAndGet((int) second);
        }
    }

    /** The counts of the first {@code n} seconds (fewer if the counter keeps fewer), whether over or not. */
    public long[] firstSeconds(long n) {
        long[] out = new long[(int) Math.max(0, Math.min(counts.length(), n))];
        for (int i = 0; i < out.length; i++) {
            out[i] = counts.get(i);
        }
        return out;
    }

    /** The counts of every second that is over. */
    public long[] wholeSeconds() {
        return firstSeconds((nanoTime.getAsLong() - startNanos) / 1_000_000_000L);
    }

    /** The windows of every second that is over; see {@link #windows(long[], Duration)}. */
    public List<Window> windows(Duration warmup) {
        return windows(wholeSeconds(), warmup);
    }

    /**
     * The rate of each {@value #WINDOW_SECONDS}-second window of {@code perSecond} (counts of
     * consecutive seconds from the load's start), the last one, if partial, only when it lasts at
     * least {@value #MIN_LAST_WINDOW_SECONDS} seconds, and then over its true length. A window is
     * warm-up when it begins before {@code warmup} is over.
     */
    public static List<Window> windows(long[] perSecond, Duration warmup) {
        List<Window> out = new ArrayList<>();
        for (int from = 0; from < perSecond.length; from += WINDOW_SECONDS) {
            int to = Math.min(from + WINDOW_SECONDS, perSecond.length);
            if (to - from < MIN_LAST_WINDOW_SECONDS) {
                break;
            }
            long sum = 0;
            for (int s = from; s < to; s++) {
                sum += perSecond[s];
            }
            out.add(new Window(from, to, (double) sum / (to - from), from * 1_000L < warmup.toMillis()));
        }
        return out;
    }
}
