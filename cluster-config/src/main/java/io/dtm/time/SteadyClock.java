package io.dtm.time;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A wall clock that never steps: the system's wall clock read once, when the process starts, and
 * moved on from there by the monotonic clock (which NTP slews but never steps). Timers, deadlines
 * and retries measured against it keep their length when someone sets the machine's clock hours
 * back or forth; a process whose clock was wrong when it started stays as wrong until it restarts,
 * and every reader of its clock sees one consistent time.
 *
 * <p>Found by the simulation: a coordinator reading {@code System.currentTimeMillis()} whose clock
 * stepped three hours back while it ran left its ROLLBACK retries due three hours later.
 */
public final class SteadyClock implements LongSupplier {
    private final long anchorMs;
    private final long originNanos;
    private final LongSupplier nanos;

    private SteadyClock(long anchorMs, LongSupplier nanos) {
        this.anchorMs = anchorMs;
        this.nanos = nanos;
        this.originNanos = nanos.getAsLong();
    }

    /** The system's wall clock now, moved {@code offsetMs} (a test's skew; 0 in production), then monotonic. */
    public static SteadyClock ofSystem(long offsetMs) {
        return new SteadyClock(System.currentTimeMillis() + offsetMs, System::nanoTime);
    }

    /** Starts at {@code anchorMs} and moves with {@code nanos} (tests). */
    static SteadyClock of(long anchorMs, LongSupplier nanos) {
        return new SteadyClock(anchorMs, nanos);
    }

    @Override
    public long getAsLong() {
        return anchorMs + TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong() - originNanos);
    }
}
