package io.dtm.config;

import java.util.List;
import java.util.Objects;

/**
 * Faults a participant service injects into its own behaviour, to test the protocol against slow,
 * lossy, uncooperative and crashing participants. They apply to the protocol's requests only: the
 * operator's (setting faults, inspecting) always get through, and setting faults ends these windows.
 *
 * @param latencyMinMs       every reply is delayed by a uniform random time in
 *                           [{@code latencyMinMs}, {@code latencyMaxMs}], not negative
 * @param latencyMaxMs       upper bound of that delay, at least {@code latencyMinMs}
 * @param dropProbability    chance, in [0, 1], that a request is silently dropped (no reply)
 * @param forceNoProbability chance, in [0, 1], that a PREPARE which would vote YES votes NO instead (FORCED_NO)
 * @param crashAt            where the process halts, once; {@link CrashPoint#NEVER} for no crash
 * @param unavailable        windows, relative to the service's start, in which no request is answered
 */
public record FaultsConfig(long latencyMinMs, long latencyMaxMs, double dropProbability, double forceNoProbability,
        CrashPoint crashAt, List<UnavailableWindow> unavailable) {

    public FaultsConfig {
        Objects.requireNonNull(crashAt, "crashAt");
        unavailable = List.copyOf(unavailable);
    }

    /** No faults: what a service gets when its configuration has no {@code faults} section or leaves keys out. */
    public static FaultsConfig none() {
        return new FaultsConfig(0, 0, 0.0, 0.0, CrashPoint.NEVER, List.of());
    }

    /**
     * Whether this injects nothing. Compares with {@link #none()} the way record equality does, so
     * a configuration written without its {@code faults} section reads back as an equal one.
     */
    public boolean isNone() {
        return equals(none());
    }
}
