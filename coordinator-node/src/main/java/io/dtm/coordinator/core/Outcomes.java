package io.dtm.coordinator.core;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnStatus;

/**
 * A decision came back from the log: the outcome that stands (this leader's, or one decided
 * before it), phase 2 for it, the client's answer, and the next attempt after a LOCKED one.
 */
final class Outcomes {
    private final Transactions table;
    private final PhaseTwo phaseTwo;
    private final Answers answers;
    private final ForgottenRuns forgotten;
    private final RetryChain retries;

    Outcomes(Transactions table, PhaseTwo phaseTwo, Answers answers, ForgottenRuns forgotten, RetryChain retries) {
        this.table = table;
        this.phaseTwo = phaseTwo;
        this.answers = answers;
        this.forgotten = forgotten;
        this.retries = retries;
    }

    void decided(String attemptId, RecordResult result, long nowMs, Outbox out) {
        if (result.getDisposition() != Disposition.FENCED && forgotten.marked(attemptId, result, nowMs, out)) {
            return;
        }
        Attempt attempt = table.attempt(attemptId);
        if (attempt == null || attempt.phase != AttemptPhase.DECIDING) {
            return;
        }
        if (result.getDisposition() == Disposition.FENCED) {
            out.deposed(result.getDetail());
            return;
        }
        if (result.getOutcome() == Outcome.UNDECIDED) {
            throw new IllegalStateException(attemptId + ": Decide left no outcome: " + result);
        }
        if (!attempt.beginCommitted) {
            throw new IllegalStateException(attemptId + ": a decision came back before Begin's result, but none is"
                    + " proposed before it");
        }
        if (attempt.committedByParticipant && result.getOutcome() != Outcome.COMMIT) {
            out.alarm(attemptId, "the only participant committed in one phase but the log says " + result.getOutcome());
        }
        if (forgotten.markBeforeAnswering(attempt, result, out)) {
            return; // the mark's result comes back here
        }
        if (result.getStatus() == TxnStatus.FORGOTTEN) {
            answers.standsForgotten(attempt, result.getReason(), nowMs, out); // marked after its End: gone
            return;
        }
        if (result.getForgotten()) {
            answers.confirmForgotten(attempt, attempt.forgottenWhy != null ? attempt.forgottenWhy : result.getReason());
        }
        if (result.getDisposition() == Disposition.DUPLICATE) {
            // Someone decided first: an in-doubt participant's ABORT, an earlier leader (this is a
            // resubmitted tid whose old votes came back), or this leader's own Decide whose reply was
            // lost. Its outcome and reason stand, and an ABORT may have a later attempt after it.
            attempt.abortKind = result.getOutcome() == Outcome.ABORT ? "PARTICIPANT_ABORT" : "";
            adopt(attempt, result, nowMs, out);
            return;
        }
        boolean ending = phaseTwo.start(attempt, result.getOutcome(), result.getReason(), out);
        answers.finish(attempt, nowMs, out);
        ended(attempt, ending, nowMs, out);
    }

    /** The outcome in {@code result} stood in the log before this leader's own decision. */
    void adopt(Attempt attempt, RecordResult result, long nowMs, Outbox out) {
        attempt.lastConfirmed = result.getLastAttempt(); // whether the log vouches that no later attempt began
        ended(attempt, answers.adopt(attempt, result.getOutcome(), result.getReason(),
                result.getStatus() == TxnStatus.ENDED, nowMs, out), nowMs, out);
    }

    /** After an attempt went on to its End: the attempt begun after it may prepare now. */
    void ended(Attempt attempt, boolean ending, long nowMs, Outbox out) {
        if (ending) {
            retries.ended(attempt, nowMs, out);
        }
    }
}
