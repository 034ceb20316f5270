package io.dtm.bench;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How to run the Narayana baseline.
 *
 * @param concurrency     worker threads, each running one transaction after another (closed loop)
 * @param durationSeconds measured time
 * @param warmupSeconds   unmeasured load before it
 * @param storeDir        Narayana's object store directory
 */
public record BaselineOptions(int concurrency, int durationSeconds, int warmupSeconds, Path storeDir) {

    /** More threads than this measure the scheduler, not the transaction manager. */
    public static final int MAX_CONCURRENCY = 4096;

    public BaselineOptions {
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException(
                    "concurrency must be between 1 and " + MAX_CONCURRENCY + ", got " + concurrency);
        }
        if (durationSeconds < 1) {
            throw new IllegalArgumentException("duration must be at least 1 second, got " + durationSeconds);
        }
        if (warmupSeconds < 0) {
            throw new IllegalArgumentException("warmup cannot be negative, got " + warmupSeconds);
        }
        storeDir = Objects.requireNonNull(storeDir, "storeDir").toAbsolutePath();
    }
}
