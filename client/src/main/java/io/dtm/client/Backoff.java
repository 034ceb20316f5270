package io.dtm.client;

import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter: the n-th retry (from 0) of a submission waits a uniform
 * time in [0, min({@link #CAP_MS}, {@link #BASE_MS}·2ⁿ)]. After a failover every client retries
 * at once; the jitter spreads those retries over the whole window instead of letting them arrive
 * in lockstep, and the cap keeps a long wait from eating a short deadline.
 */
final class Backoff {
    static final long BASE_MS = 20;
    static final long CAP_MS = 1_000;

    private final RandomGenerator random;

    /** @param random thread-safe (a {@link java.util.Random}); seeded in tests, so that delays repeat */
    Backoff(RandomGenerator random) {
        this.random = random;
    }

    /** The longest wait before retry {@code retry} (from 0). */
    static long boundMs(int retry) {
        if (retry < 0) {
            throw new IllegalArgumentException("retry must not be negative, got " + retry);
        }
        return Math.min(CAP_MS, BASE_MS << Math.min(retry, 16));
    }

    /** A wait before retry {@code retry}, drawn uniformly in [0, {@link #boundMs}]. */
    long delayMs(int retry) {
        return random.nextLong(boundMs(retry) + 1);
    }
}
