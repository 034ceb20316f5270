package io.dtm.coordinator.core;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;

/**
 * Begin's result. It says whose the attempt id is — this request's, another request's under a
 * reused tid (REFUSED), or a forgotten one's (REFUSED, FORGOTTEN) — and whether an outcome stands
 * already (a resubmitted tid). Until it comes nothing is proposed for the attempt.
 */
final class Begins {
    private final Transactions table;
    private final PhaseOne phaseOne;
    private final Decisions decisions;
    private final Answers answers;
    private final ForgottenRuns forgotten;
    private final RetryChain retries;
    private final Outcomes outcomes;

    Begins(Transactions table, PhaseOne phaseOne, Decisions decisions, Answers answers, ForgottenRuns forgotten,
            RetryChain retries, Outcomes outcomes) {
        this.table = table;
        this.phaseOne = phaseOne;
        this.decisions = decisions;
        this.answers = answers;
        this.forgotten = forgotten;
        this.retries = retries;
        this.outcomes = outcomes;
    }

    void applied(String attemptId, RecordResult result, long nowMs, Outbox out) {
        Attempt attempt = table.attempt(attemptId);
        if (attempt == null || attempt.beginCommitted) {
            return; // a retried append's second result, or an attempt settled meanwhile
        }
        switch (result.getDisposition()) {
            case FENCED -> out.deposed(result.getDetail());
            case REFUSED -> {
                if (result.getStatus() == TxnStatus.FORGOTTEN) {
                    forgotten.beginRefused(attempt, result.getReason(), nowMs, out);
                    return;
                }
                if (attempt.predecessor != null) {
                    retries.successorRefused(attempt, out);
                }
                // The same tid with another request: the client's error. No phase 2 — whatever the log
                // holds under this id is the other request's; what this request prepared under it
                // resolves through the log's digest (participants check it).
                table.remove(attempt);
                Txn txn = table.txn(attempt.tid);
                if (txn != null) {
                    table.remove(txn);
                }
                answers.reply(txn, Answers.rejected(attempt.tid, "tid " + attempt.tid
                        + " was used for a different request"), "REJECTED", out);
            }
            case APPLIED, DUPLICATE -> begun(attempt, result, nowMs, out);
            case UNRECOGNIZED -> throw new IllegalStateException("unknown disposition for " + attemptId);
        }
    }

    private void begun(Attempt attempt, RecordResult result, long nowMs, Outbox out) {
        attempt.beginCommitted = true;
        attempt.neverDecided = result.getNeverDecided();
        Txn owner = table.txn(attempt.tid);
        if (owner != null) {
            owner.established = true; // the log took this Begin as this request's
        }
        if (attempt.predecessor != null) {
            retries.successorBegun(attempt, out);
            if (result.getOutcome() == Outcome.UNDECIDED && attempt.phase == AttemptPhase.PREPARING) {
                return; // its PREPAREs wait for the backoff
            }
        }
        if (result.getOutcome() != Outcome.UNDECIDED) {
            // This attempt was decided before this leader began it (a resubmitted tid, or an in-doubt
            // participant's ABORT that reached the log first): the log's word stands, whatever this
            // leader meant to propose.
            attempt.pendingDecision = null;
            attempt.forgotten = result.getForgotten(); // the log knew this run's outcome: no evidence stands
            outcomes.adopt(attempt, result, nowMs, out);
            return;
        }
        if (attempt.phase == AttemptPhase.DECIDING) {
            forgotten.begun(attempt, out);
            TxnRecord decision = attempt.pendingDecision;
            attempt.pendingDecision = null;
            out.append(attempt.attemptId, decision);
            return;
        }
        if (attempt.givingWay && owner != null && owner.current == attempt) {
            retries.beginSuccessor(attempt, out); // a LOCKED vote came before this Begin's result
        } else if (attempt.onePhase && attempt.prepareSends.isEmpty()) {
            phaseOne.send(attempt, attempt.services.get(0), out);
        } else if (attempt.onePhase && attempt.committedByParticipant) {
            decisions.decide(attempt, Outcome.COMMIT, "", "", out);
        } else if (attempt.allVotedYes()) {
            decisions.decide(attempt, Outcome.COMMIT, "", "", out);
        }
    }

}
