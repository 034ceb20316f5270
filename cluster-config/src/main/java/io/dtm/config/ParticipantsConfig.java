package io.dtm.config;

/**
 * How the participant services run their side of two-phase commit.
 *
 * @param inDoubtTimeoutMs a transaction PREPARED this long without a decision makes its
 *                         participant ask the log for the outcome, proposing ABORT if there is none
 * @param maxBatch         PREPAREs, COMMITs and ROLLBACKs gathered into one synced write of a
 *                         participant's store, at most; 1 turns this group commit off
 */
public record ParticipantsConfig(long inDoubtTimeoutMs, int maxBatch) {

    /** The values a configuration file gets for keys it leaves out. */
    public static ParticipantsConfig defaults() {
        return new ParticipantsConfig(15_000, 1_024);
    }
}
