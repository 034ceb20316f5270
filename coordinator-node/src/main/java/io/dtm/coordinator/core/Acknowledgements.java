package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.participant.LocalState;

/**
 * The participants' answers to COMMITs, ROLLBACKs and fences. One that contradicts the log — a
 * refusal, or the other outcome acknowledged — is an invariant violation, never an
 * acknowledgement: the attempt stays unfinished (no End), the violation is reported, and the
 * message is sent again, slowly, so that an operator's repair is noticed.
 */
final class Acknowledgements {
    private final CoordinatorSettings settings;
    private final Transactions table;
    private final Timers timers;
    private final Admission admission;
    private final Violations violations;
    private final Decisions decisions;
    private final PhaseTwo phaseTwo;
    private final Answers answers;
    private final ForgottenRuns forgotten;
    private final Outcomes outcomes;

    Acknowledgements(CoordinatorSettings settings, Transactions table, Timers timers, Admission admission,
            Violations violations, Decisions decisions, PhaseTwo phaseTwo, Answers answers, ForgottenRuns forgotten,
            Outcomes outcomes) {
        this.settings = settings;
        this.table = table;
        this.timers = timers;
        this.admission = admission;
        this.violations = violations;
        this.decisions = decisions;
        this.phaseTwo = phaseTwo;
        this.answers = answers;
        this.forgotten = forgotten;
        this.outcomes = outcomes;
    }

    /** {@code earlierRun}: the participant had finished the attempt id in an earlier run, so its state is that run's. */
    void acknowledged(String attemptId, ServiceName service, LocalState state, boolean earlierRun, long nowMs,
            Outbox out) {
        Attempt attempt = table.attempt(attemptId);
        if (attempt == null || !attempt.awaitingAck.contains(service)) {
            return;
        }
        if (earlierRun) {
            forgotten.acknowledged(attempt, service, state, out);
        }
        attempt.heardFrom = true;
        if (attempt.answerAwaitsAck) {
            attempt.answerAwaitsAck = false;
            answers.finish(attempt, nowMs, out); // ABORTED now, or (earlier run) once the mark is in
        }
        if (attempt.phase == AttemptPhase.FENCING) {
            admission.acked(attempt, service);
            if (state == LocalState.COMMITTED && !earlierRun) {
                attempt.committedByParticipant = true;
                decisions.decide(attempt, Outcome.COMMIT, "", "", out);
            } else {
                decisions.decide(attempt, Outcome.ABORT, attempt.forgotten ? attempt.forgottenWhy : attempt.fenceReason,
                        attempt.forgotten ? AbortKind.FORGOTTEN : attempt.fenceKind, out);
            }
            return;
        }
        boolean expected = earlierRun && attempt.phase == AttemptPhase.ROLLING_BACK // this run never prepared there
                || (attempt.phase == AttemptPhase.COMMITTING ? state == LocalState.COMMITTED
                        : state == LocalState.ROLLED_BACK || state == LocalState.VOTED_NO);
        if (!expected) {
            violated(attempt, service, service.id() + " acknowledged " + state + " while the log says "
                    + attempt.outcome, nowMs, out);
            return;
        }
        violations.clear(attemptId, service);
        outcomes.ended(attempt, phaseTwo.acknowledged(attempt, service, out), nowMs, out);
    }

    /** A participant refused a COMMIT, ROLLBACK or fence outright (never prepared there, or decided otherwise). */
    void refused(String attemptId, ServiceName service, String message, long nowMs, Outbox out) {
        Attempt attempt = table.attempt(attemptId);
        if (attempt != null && attempt.awaitingAck.contains(service)) {
            String what = attempt.phase == AttemptPhase.FENCING ? "a fence" : attempt.outcome.name();
            violated(attempt, service, service.id() + " refused " + what + ": " + message, nowMs, out);
        }
    }

    private void violated(Attempt attempt, ServiceName service, String message, long nowMs, Outbox out) {
        if (violations.record(attempt, service, message, nowMs)) {
            out.alarm(attempt.attemptId, message + ": the participant contradicts the log; the transaction stays"
                    + " unfinished until it acknowledges the outcome");
        }
        timers.at(nowMs + settings.retryBackoffMaxMs(), Timers.Kind.PHASE2_RETRY, attempt.attemptId, service);
    }
}
