package io.dtm.config;

/**
 * How the participant services run their side of two-phase commit.
 *
 * @param inDoubtTimeoutMs a transaction PREPARED this long without a decision makes its
 *                         participant ask the log for the outcome, proposing ABORT if there is none
 * @param maxBatch         PREPAREs, COMMITs and ROLLBACKs gathered into one synced write of a
 *                         participant's store, at most; 1 turns this group commit off
 * @param faultInjection   whether the services play faults, from {@code services.<name>.faults} and
 *                         from {@code SET_FAULTS} ({@code dtm faults}): a test feature, off by default,
 *                         since whoever may set faults can crash or silence a service at will
 */
public record ParticipantsConfig(long inDoubtTimeoutMs, int maxBatch, boolean faultInjection) {

    /** The values a configuration file gets for keys it leaves out. */
    public static ParticipantsConfig defaults() {
        return new ParticipantsConfig(15_000, 1_024, false);
    }

    /** The same with fault injection on or off. */
    public ParticipantsConfig withFaultInjection(boolean on) {
        return new ParticipantsConfig(inDoubtTimeoutMs, maxBatch, on);
    }
}
