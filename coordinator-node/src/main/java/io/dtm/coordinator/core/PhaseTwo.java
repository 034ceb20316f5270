package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;

/** Telling the participants the outcome that stands (or fencing a one-phase attempt), until each acknowledges. */
final class PhaseTwo {
    private final Admission admission;

    PhaseTwo(Admission admission) {
        this.admission = admission;
    }

    /**
     * The outcome stands in the log: COMMITs or ROLLBACKs go out. Returns true when there was nobody
     * to tell and the attempt went straight on to its End.
     */
    boolean start(Attempt attempt, Outcome outcome, String reason, Outbox out) {
        attempt.outcome = outcome;
        attempt.reason = reason;
        attempt.moveTo(outcome == Outcome.COMMIT ? AttemptPhase.COMMITTING : AttemptPhase.ROLLING_BACK);
        if (attempt.onePhase && (outcome == Outcome.COMMIT || attempt.heardFrom)) {
            // The only participant committed by itself, voted NO, or was fenced: nothing to tell it.
            // (Had it not answered, a ROLLBACK leaves a tombstone there, as in two-phase commit: every
            // decided attempt is remembered by its participants, who refuse to run it again.)
            attempt.moveTo(AttemptPhase.ENDING);
            out.end(attempt.attemptId);
            return true;
        }
        // Every participant hears the outcome, also those that voted NO or never answered: a ROLLBACK
        // leaves a tombstone, so a PREPARE still on its way cannot hold records afterwards.
        for (ServiceName service : attempt.services) {
            admission.awaitAck(attempt, service);
            send(attempt, service, out);
        }
        return false;
    }

    /** One-phase: the participant's answer was lost; settle whether it committed before deciding. */
    void fence(Attempt attempt, String reason, String kind, Outbox out) {
        attempt.moveTo(AttemptPhase.FENCING);
        attempt.fenceReason = reason;
        attempt.fenceKind = kind;
        for (ServiceName service : attempt.services) {
            admission.awaitAck(attempt, service);
            send(attempt, service, out);
        }
    }

    void send(Attempt attempt, ServiceName service, Outbox out) {
        attempt.phase2Sends.merge(service, 1, Integer::sum);
        if (attempt.phase == AttemptPhase.FENCING) {
            out.rollback(service, attempt, true);
        } else if (attempt.outcome == Outcome.COMMIT) {
            out.commit(service, attempt.attemptId);
        } else {
            out.rollback(service, attempt, false);
        }
    }

    /** {@code service} acknowledged; returns true when that was the last and the End went out. */
    boolean acknowledged(Attempt attempt, ServiceName service, Outbox out) {
        admission.acked(attempt, service);
        if (!attempt.awaitingAck.isEmpty()) {
            return false;
        }
        attempt.moveTo(AttemptPhase.ENDING);
        out.end(attempt.attemptId);
        return true;
    }

    /**
     * An attempt that ended in the log before this leader's run of it got anywhere: the PREPAREs that
     * went out with its Begin may have prepared someone, and no phase 2 of this run will follow.
     * ROLLBACKs release them now (once, best effort: a participant that misses it asks the log when
     * in doubt, and the log says ABORT or FORGOTTEN). Safe: the log's outcome for the id is ABORT.
     */
    void rollBackWhatThisRunPrepared(Attempt attempt, Outbox out) {
        if (attempt.onePhase) {
            return; // a one-phase PREPARE goes out only after Begin, which found the outcome standing
        }
        for (ServiceName service : attempt.prepareSends.keySet()) {
            out.rollback(service, attempt, false);
        }
    }
}
