package io.dtm.coordinator.core;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where one attempt of a transaction stands on the leader, and from where it may get there.
 * Every state names the message or record that moves an attempt into it.
 */
public enum AttemptPhase {
    /** Begin appended and PREPAREs sent, at once; waiting for the votes and for Begin to commit. */
    PREPARING,
    /**
     * One-phase commit only: the only participant's answer was lost, so whether it committed is not
     * known. A ROLLBACK "unless committed" settles it before anything is decided.
     */
    FENCING,
    /** Decide appended (COMMIT after every YES; ABORT otherwise); waiting for the outcome that stands. */
    DECIDING,
    /** COMMIT stands in the log: COMMITs sent until every participant acknowledges. */
    COMMITTING,
    /** ABORT stands in the log: ROLLBACKs sent until every participant acknowledges. */
    ROLLING_BACK,
    /** Every participant acknowledged: End appended. */
    ENDING,
    /** End applied: the attempt is finished and forgotten. */
    ENDED;

    private EnumSet<AttemptPhase> predecessors;

    static {
        PREPARING.predecessors = EnumSet.noneOf(AttemptPhase.class);
        FENCING.predecessors = EnumSet.of(PREPARING);
        DECIDING.predecessors = EnumSet.of(PREPARING, FENCING);
        // From PREPARING directly when Begin finds an outcome already standing (a resubmitted tid); from
        // DECIDING too, when a vote that attempt gave long ago came back before Begin's result did.
        COMMITTING.predecessors = EnumSet.of(DECIDING, PREPARING);
        ROLLING_BACK.predecessors = EnumSet.of(DECIDING, PREPARING);
        ENDING.predecessors = EnumSet.of(COMMITTING, ROLLING_BACK);
        ENDED.predecessors = EnumSet.of(ENDING, PREPARING, DECIDING);
    }

    /** The phases from which this one may be entered (empty for the initial phase). */
    public Set<AttemptPhase> predecessors() {
        return EnumSet.copyOf(predecessors);
    }

    /** Checks that moving from {@code from} to this phase is legal; the core never takes an illegal step. */
    AttemptPhase from(AttemptPhase from, String attemptId) {
        if (!predecessors.contains(from)) {
            throw new IllegalStateException(attemptId + ": illegal transition " + from + " -> " + this
                    + " (legal predecessors of " + this + ": " + predecessors + ")");
        }
        return this;
    }
}
