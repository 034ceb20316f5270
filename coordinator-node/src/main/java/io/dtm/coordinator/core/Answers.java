package io.dtm.coordinator.core;

import io.dtm.protocol.AttemptId;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.rpc.SubmitResult;

/**
 * What a client is told, and when: the outcome of the tid's last attempt once it stands, an
 * outcome the log already held, or "no longer retained". Every answer goes through {@link #reply}.
 */
final class Answers {
    private final CoordinatorSettings settings;
    private final Transactions table;
    private final AnswerCache cache;
    private final Admission admission;
    private final Timers timers;
    private final PhaseTwo phaseTwo;

    Answers(CoordinatorSettings settings, Transactions table, AnswerCache cache, Admission admission, Timers timers,
            PhaseTwo phaseTwo) {
        this.settings = settings;
        this.table = table;
        this.cache = cache;
        this.admission = admission;
        this.timers = timers;
        this.phaseTwo = phaseTwo;
    }

    /** The decision of the transaction's current attempt stands: answer the client (or find out more first). */
    void finish(Attempt attempt, long nowMs, Outbox out) {
        Txn txn = table.txn(attempt.tid);
        if (txn == null || txn.current != attempt || txn.answered || table.marking().containsKey(attempt.attemptId)) {
            return; // (a mark in flight: the answer comes when it is in the log)
        }
        if ((txn.request == null || attempt.forgotten) && attempt.outcome == Outcome.ABORT && !attempt.lastConfirmed) {
            // Recovered from the log, or a re-run of a forgotten attempt: a later attempt may have
            // ended already (not in flight, so recovery did not see it; or still retained when this
            // one's outcome was not). The tid's outcome is its last attempt's: ask.
            out.readLog(AttemptId.format(attempt.tid, attempt.number + 1));
            return;
        }
        if (attempt.outcome == Outcome.ABORT && !attempt.heardFrom && !attempt.fromLog && !attempt.forgotten
                && !attempt.answerWaitOver) {
            // Nobody answered this run. Had the tid run before, past the log's memory of it, only its
            // participants could say so, in their answer to the ROLLBACKs now on their way: hear the
            // first one (or wait at most retryBackoffMaxMs) before answering ABORTED.
            if (!attempt.answerAwaitsAck) {
                attempt.answerAwaitsAck = true;
                timers.at(nowMs + settings.retryBackoffMaxMs(), Timers.Kind.ANSWER, attempt.attemptId);
            }
            return;
        }
        if (attempt.forgotten) {
            // The tid ran before and no attempt's outcome is left in the log: the truth is that it is
            // no longer known here, never this run's ABORT.
            String why = txn.forgottenWhy != null ? txn.forgottenWhy
                    : attempt.forgottenWhy != null ? attempt.forgottenWhy : attempt.reason;
            reply(txn, rejected(txn.tid, "the outcome of tid " + txn.tid + " is no longer retained (" + why
                    + "); nothing of this submission was applied"), AbortKind.FORGOTTEN, out);
            return;
        }
        // A LOCKED attempt that could retry gave way to its successor when the vote came; one decided
        // here is the tid's last word, whatever its kind.
        String reason = attempt.reason;
        if (attempt.outcome == Outcome.ABORT && AbortKind.LOCKED.equals(attempt.abortKind) && attempt.number > 1) {
            reason += " (gave up after " + attempt.number + " attempts)";
        }
        boolean committed = attempt.outcome == Outcome.COMMIT;
        reply(txn, SubmitResult.newBuilder()
                .setTid(txn.tid)
                .setStatus(committed ? SubmitResult.Status.COMMITTED : SubmitResult.Status.ABORTED)
                .setReason(committed ? "" : reason)
                .addAllParticipants(attempt.results())
                .setAttempts(attempt.number)
                .build(), committed ? "" : attempt.abortKind, out);
    }

    void reply(Txn txn, SubmitResult result, String abortKind, Outbox out) {
        if (txn == null) {
            return;
        }
        if (!txn.answered) {
            admission.answered();
        }
        txn.answered = true;
        txn.result = result;
        if (result.getStatus() != SubmitResult.Status.REJECTED) {
            cache.keep(txn.tid, txn.digest, result);
        }
        out.reply(txn.tid, result, abortKind);
        table.forgetIfDone(txn);
    }

    /**
     * The log holds an outcome for this attempt that this leader did not decide (a resubmitted tid,
     * an in-doubt participant's ABORT that came first, a later attempt found by a read). It stands.
     * Returns true when the attempt went straight on to its End.
     */
    boolean adopt(Attempt attempt, Outcome outcome, String reason, boolean ended, long nowMs, Outbox out) {
        attempt.fromLog = true;
        boolean ending = false;
        if (ended) {
            if (outcome == Outcome.ABORT) {
                phaseTwo.rollBackWhatThisRunPrepared(attempt, out);
            }
            attempt.outcome = outcome;
            attempt.reason = reason;
            attempt.moveTo(AttemptPhase.ENDED);
            table.remove(attempt);
        } else {
            ending = phaseTwo.start(attempt, outcome, reason, out);
        }
        Txn txn = table.txn(attempt.tid);
        if (outcome == Outcome.ABORT && txn != null && !txn.answered && txn.current == attempt
                && !attempt.lastConfirmed) {
            // Was this the last attempt of a resubmitted tid? The log did not vouch for it: ask about the next one.
            out.readLog(AttemptId.format(attempt.tid, attempt.number + 1));
        } else {
            finish(attempt, nowMs, out);
        }
        return ending;
    }

    /** The log says this attempt's ABORT only undid a re-run of a forgotten attempt. */
    void confirmForgotten(Attempt attempt, String why) {
        attempt.forgotten = true;
        Txn txn = table.txn(attempt.tid);
        if (txn != null && txn.forgottenWhy == null) {
            txn.forgottenWhy = why;
        }
    }

    /** The attempt id is FORGOTTEN in the log: this run aborted, and its outcome stands for nothing. */
    void standsForgotten(Attempt attempt, String why, long nowMs, Outbox out) {
        confirmForgotten(attempt, why);
        adopt(attempt, Outcome.ABORT, why, true, nowMs, out);
    }

    /** The log's answer to a read of the attempt after a decided one (see {@link #adopt}). */
    void logRead(String attemptId, TxnState state, long nowMs, Outbox out) {
        Txn txn = table.txnOf(attemptId);
        if (txn == null || txn.answered) {
            return;
        }
        Attempt previous = txn.current;
        if (state.getStatus() != TxnStatus.UNKNOWN && !Txn.sameDigest(state.getRequestDigest(), txn.digest)) {
            // A later attempt of this tid belongs to another request: this one was never the tid's.
            // (Its own phase 2, if any, goes on: the attempt stays in the table until its End.)
            table.remove(txn);
            reply(txn, rejected(txn.tid, "tid " + txn.tid + " was used for a different request"), "REJECTED", out);
            return;
        }
        boolean forgottenThere = state.getStatus() == TxnStatus.FORGOTTEN || state.getForgotten();
        if (!forgottenThere && state.getStatus() == TxnStatus.UNKNOWN && !previous.forgotten) {
            // Asked because the log did not vouch that the previous attempt was the tid's last (a later
            // one began, or data from before the log tracked that cannot rule one out), and it holds
            // nothing of a later one now: it left retention and the memory of forgotten ids. Its
            // outcome, the tid's, is not known here, and the previous attempt's is not the tid's (found
            // by the simulation: answered ABORTED while #2 had committed, both evicted between the
            // Begin and this read). A re-run of a forgotten attempt is answered as such below.
            previous.lastConfirmed = true;
            reply(txn, rejected(txn.tid, "the outcome of tid " + txn.tid + " is no longer retained (an attempt after "
                    + previous.attemptId + " began, and the log holds none now); nothing of this submission was"
                    + " applied"), AbortKind.FORGOTTEN, out);
            table.forgetIfDone(txn);
            return;
        }
        if (!forgottenThere && state.getOutcome() == Outcome.UNDECIDED) {
            // The previous attempt was the last one that got a decision: its outcome is the tid's.
            previous.lastConfirmed = true;
            finish(previous, nowMs, out);
            table.forgetIfDone(txn);
            return;
        }
        int number = AttemptId.parse(attemptId).number();
        Attempt next = new Attempt(attemptId, txn.tid, number, previous.services, txn.deadlineMs, txn.digest,
                state.getRunId(), AttemptPhase.PREPARING);
        next.beginCommitted = true; // the log holds it
        next.lastConfirmed = state.getLastAttempt();
        txn.current = next;
        next.abortKind = previous.abortKind;
        if (forgottenThere) {
            confirmForgotten(next, state.getReason()); // that attempt's outcome is lost too: look further
        }
        boolean ended = state.getStatus() == TxnStatus.ENDED || state.getStatus() == TxnStatus.FORGOTTEN;
        if (!ended) {
            table.put(next);
        }
        adopt(next, forgottenThere ? Outcome.ABORT : state.getOutcome(), state.getReason(), ended, nowMs, out);
    }

    static SubmitResult rejected(String tid, String reason) {
        return SubmitResult.newBuilder().setTid(tid).setStatus(SubmitResult.Status.REJECTED).setReason(reason).build();
    }
}
