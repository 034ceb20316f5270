package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Vote;

/**
 * Runs of an attempt id that are not this leader's own: a participant that finished the id in an
 * earlier run (an EARLIER_RUN vote, or an acknowledgement that says so), and Begins the log refuses
 * as FORGOTTEN. Either the log lost that run's outcome (the tid ran long ago: this run must not
 * stand for it, and its ABORT is marked forgotten) or that run never reached the log (its leader
 * died before its Begin was logged: the participant's NO is an ordinary NO). See docs/GUARANTEES.md.
 */
final class ForgottenRuns {
    private static final String LOST = ", and the log holds no outcome of it";

    private final Transactions table;
    private final Decisions decisions;
    private final Answers answers;

    ForgottenRuns(Transactions table, Decisions decisions, Answers answers) {
        this.table = table;
        this.decisions = decisions;
        this.answers = answers;
    }

    /** An EARLIER_RUN vote: what the participant says, and the NO it gave in that run, if it gave one. */
    void voted(Attempt attempt, ServiceName service, Vote vote, Outbox out) {
        if (vote.hasEarlierVote() && !vote.getEarlierVote().getYes() && attempt.lostRunReason == null) {
            // Should that run prove never to have reached the log, its NO is this run's, word for word.
            Vote earlier = vote.getEarlierVote();
            attempt.lostRunReason = service.id() + ": " + earlier.getCode() + ": " + earlier.getMessage();
            attempt.lostRunKind = earlier.getCode().name();
        }
        evidence(attempt, vote.getMessage() + LOST, out);
    }

    /** An acknowledgement of a participant that had finished the id in an earlier run. */
    void acknowledged(Attempt attempt, ServiceName service, LocalState state, Outbox out) {
        evidence(attempt, service.id() + ": " + attempt.attemptId + " already ran here, in an earlier run that ended "
                + state + LOST, out);
    }

    /**
     * A participant had finished this attempt id in an earlier run. Had the log held that run's
     * outcome, it would have answered this Begin with it, or refused it as FORGOTTEN: so either the
     * outcome is lost (the ABORT of this run is marked forgotten, and the client hears "no longer
     * retained" unless a later attempt's outcome is still in the log) or, when the log knows it never
     * decided the id, that run never reached the log. An attempt whose outcome this leader adopted
     * from the log needs none of this: the log knew it.
     */
    void evidence(Attempt attempt, String why, Outbox out) {
        if (attempt.fromLog || attempt.forgotten) {
            return;
        }
        if (attempt.beginCommitted && attempt.neverDecided) {
            lostRun(attempt, why, out);
            return;
        }
        attempt.forgotten = true;
        attempt.forgottenWhy = why;
        switch (attempt.phase) {
            case PREPARING -> {
                if (!attempt.givingWay) {
                    decisions.decide(attempt, Outcome.ABORT, why, AbortKind.FORGOTTEN, out);
                } // else its ABORT (when its successor's Begin is in) carries the mark, and the successor never prepares
            }
            case DECIDING -> {
                if (attempt.pendingDecision != null) {
                    attempt.pendingDecision = out.decision(attempt.attemptId, Outcome.ABORT, why, true);
                } // else the decision in flight is marked when it comes back (see decided)
            }
            case FENCING -> {
            } // the fence's answer decides, with the mark
            case ROLLING_BACK, ENDING, ENDED -> mark(attempt, why, out);
            case COMMITTING -> out.alarm(attempt.attemptId, "committing, yet " + why
                    + ": a participant that finished an earlier run never votes YES for this one");
        }
    }

    /**
     * The earlier run a participant speaks of never reached the log: Begin's result said the log never
     * decided this id (and its memory of forgotten ids is complete, so it would know). Its leader died
     * before its Begin was logged; the participant voted NO in it (a run that finished needs a decision
     * in the log). That NO stands for this run too: an ordinary ABORT, not a lost outcome.
     */
    private void lostRun(Attempt attempt, String why, Outbox out) {
        attempt.heardFrom = true;
        if (attempt.phase == AttemptPhase.PREPARING && !attempt.givingWay) {
            decisions.decide(attempt, Outcome.ABORT, lostRunReason(attempt, why), lostRunKind(attempt), out);
        }
    }

    /**
     * Begin's result came after evidence of an earlier run: if it says the log never decided the id,
     * the ABORT waiting for it is an ordinary one (a lost run's NO), not a mark.
     */
    void begun(Attempt attempt, Outbox out) {
        if (attempt.forgotten && attempt.neverDecided && attempt.pendingDecision != null) {
            attempt.forgotten = false;
            attempt.abortKind = lostRunKind(attempt);
            attempt.pendingDecision = out.decision(attempt.attemptId, Outcome.ABORT,
                    lostRunReason(attempt, attempt.forgottenWhy), false);
            attempt.forgottenWhy = null;
            attempt.heardFrom = true;
        }
    }

    private static String lostRunReason(Attempt attempt, String why) {
        return attempt.lostRunReason != null ? attempt.lostRunReason
                : why.replace(LOST, ", whose Begin never reached the log");
    }

    private static String lostRunKind(Attempt attempt) {
        return attempt.lostRunKind != null ? attempt.lostRunKind : AbortKind.EARLIER_RUN;
    }

    /**
     * Marks the ABORT of an attempt already decided (this leader's plain ABORT) forgotten in the log.
     * Its client, if still waiting, hears "no longer retained" once the mark is in (see {@link #marked}).
     */
    private void mark(Attempt attempt, String why, Outbox out) {
        table.marking().put(attempt.attemptId, attempt);
        out.append(attempt.attemptId, out.decision(attempt.attemptId, Outcome.ABORT, why, true));
    }

    /** A Decide result for an attempt being marked: the mark is in; its client hears it now. True when it was one. */
    boolean marked(String attemptId, RecordResult result, long nowMs, Outbox out) {
        Attempt attempt = table.marking().remove(attemptId);
        if (attempt == null) {
            return false;
        }
        if (!result.getForgotten() && result.getStatus() != TxnStatus.FORGOTTEN) {
            out.alarm(attemptId, "the log did not take the mark of a forgotten run's ABORT: " + result);
        }
        answers.confirmForgotten(attempt, attempt.forgottenWhy != null ? attempt.forgottenWhy : result.getReason());
        answers.finish(attempt, nowMs, out);
        return true;
    }

    /**
     * This leader's decision came back; the attempt's ABORT went out before a participant said the id
     * ran before: mark it first, so that no reader takes it for the tid's outcome (the mark's result
     * comes back as a decision too). True when it did so.
     */
    boolean markBeforeAnswering(Attempt attempt, RecordResult result, Outbox out) {
        if (!attempt.forgotten || result.getOutcome() != Outcome.ABORT || result.getForgotten()) {
            return false;
        }
        out.append(attempt.attemptId, out.decision(attempt.attemptId, Outcome.ABORT, result.getReason(), true));
        return true;
    }

    /**
     * The log refused Begin: the attempt id is FORGOTTEN (it ended long ago). Nothing of this run can
     * commit. The tid's answer is a later attempt's, if the log still has one, or "no longer retained".
     */
    void beginRefused(Attempt attempt, String why, long nowMs, Outbox out) {
        attempt.beginCommitted = true;
        attempt.pendingDecision = null;
        if (attempt.predecessor != null) {
            Attempt previous = attempt.predecessor;
            attempt.predecessor = null;
            if (previous.phase == AttemptPhase.PREPARING) {
                evidence(previous, why, out); // the id after it ran before: so did it
                decisions.decide(previous, Outcome.ABORT, previous.retryReason, AbortKind.LOCKED, out);
            }
        }
        answers.standsForgotten(attempt, why, nowMs, out);
    }
}
