package io.dtm.coordinator.core;

import java.util.Random;

/** The core's waits and its draws from its one random source (seeded in the simulation). */
final class Backoff {
    private final CoordinatorSettings settings;
    private final Random random;

    Backoff(CoordinatorSettings settings, Random random) {
        this.settings = settings;
        this.random = random;
    }

    /** Before resending a message sent {@code sent} times: doubling from retryBackoffMs up to retryBackoffMaxMs. */
    long retry(int sent) {
        long wait = settings.retryBackoffMs() << Math.min(20, Math.max(0, sent - 1));
        return Math.min(settings.retryBackoffMaxMs(), wait);
    }

    /** Before attempt {@code attempt} + 1 after LOCKED: exponential with jitter, so contenders do not retry in lockstep. */
    long lock(int attempt) {
        long ceiling = settings.lockBackoffMs() << Math.min(10, attempt - 1);
        return ceiling / 2 + (long) (random.nextDouble() * (ceiling / 2 + 1));
    }

    /**
     * A new run of an attempt id: random, so that no two runs of one id share it (a re-run of a
     * forgotten tid, another leader's, a restart's). 0 means "not known" on the wire: never drawn.
     */
    long runId() {
        long id = random.nextLong();
        return id == 0 ? 1 : id;
    }
}
