package io.dtm.participant;

import io.dtm.config.FaultsConfig;
import io.dtm.config.UnavailableWindow;
import io.dtm.protocol.participant.CrashPoint;
import io.dtm.protocol.participant.Faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The faults a participant plays, set from configuration at start and replaced by the admin call
 * ({@code SetFaults}). They apply to protocol messages only, never to the admin call itself
 * ({@link ParticipantEngine#meetsFaults}). Used only from the engine's thread, so it needs no locking.
 *
 * <p>Fault injection is a test feature ({@code participants.faultInjection}, off by default): a
 * disabled injector plays nothing and refuses to be {@link #set}.
 */
final class FaultInjector {
    private final Random random;
    private final boolean enabled;
    private Faults faults = Faults.getDefaultInstance();
    /** Configured unavailable windows, as absolute [from, to) times. */
    private final List<long[]> windows = new ArrayList<>();

    FaultInjector(Random random, boolean enabled) {
        this.random = random;
        this.enabled = enabled;
    }

    /** An injector that plays no faults and accepts none: the production default. */
    static FaultInjector disabled() {
        return new FaultInjector(new Random(), false);
    }

    /**
     * The faults of the configuration, windows counted from {@code startMs}; with {@code enabled}
     * false, {@link #disabled()}, and configured faults are refused rather than ignored.
     */
    static FaultInjector fromConfig(FaultsConfig config, boolean enabled, long startMs, Random random) {
        if (!enabled) {
            if (!config.isNone()) {
                throw new IllegalArgumentException("faults are configured but fault injection is off "
                        + "(participants.faultInjection: false)");
            }
            return disabled();
        }
        FaultInjector injector = new FaultInjector(random, true);
        injector.faults = Faults.newBuilder()
                .setLatencyMinMs(config.latencyMinMs())
                .setLatencyMaxMs(config.latencyMaxMs())
                .setDropProbability(config.dropProbability())
                .setForceNoProbability(config.forceNoProbability())
                .setCrashAt(CrashPoint.valueOf(config.crashAt().name()))
                .build();
        for (UnavailableWindow w : config.unavailable()) {
            injector.windows.add(new long[] {startMs + w.afterMs(), startMs + w.afterMs() + w.forMs()});
        }
        return injector;
    }

    Faults current() {
        return faults;
    }

    /** Whether faults may be set: the process was started with fault injection on. */
    boolean enabled() {
        return enabled;
    }

    /**
     * Replaces every setting, the configuration's unavailable windows included: {@code ./dtm faults
     * --clear} promises no faults, and the reply ({@link #current}) could not show windows it kept.
     */
    void set(Faults faults) {
        if (!enabled) {
            throw new IllegalStateException("fault injection is off");
        }
        this.faults = faults;
        windows.clear();
    }

    /** No answer at all: dropped, or inside an unavailable window. */
    boolean silent(long nowMs) {
        for (long[] w : windows) {
            if (nowMs >= w[0] && nowMs < w[1]) {
                return true;
            }
        }
        return nowMs < faults.getUnavailableUntilMs()
                || (faults.getDropProbability() > 0 && random.nextDouble() < faults.getDropProbability());
    }

    boolean forceNo() {
        return faults.getForceNoProbability() > 0 && random.nextDouble() < faults.getForceNoProbability();
    }

    /** Delay before a reply leaves, uniform in [min, max]. */
    long latencyMs() {
        long min = faults.getLatencyMinMs();
        long max = faults.getLatencyMaxMs();
        if (max <= 0) {
            return 0;
        }
        return max <= min ? min : min + (long) (random.nextDouble() * (max - min + 1));
    }

    /** Whether a crash point is armed: most groups need not look for one. */
    boolean crashArmed() {
        return faults.getCrashAt() != CrashPoint.NEVER;
    }

    /** True once when the armed crash point is {@code point}; the crash point then disarms. */
    boolean crashNow(CrashPoint point) {
        if (point == CrashPoint.NEVER || faults.getCrashAt() != point) {
            return false;
        }
        faults = faults.toBuilder().setCrashAt(CrashPoint.NEVER).build();
        return true;
    }
}
