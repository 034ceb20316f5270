package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;

/**
 * Retries after LOCKED. A LOCKED vote, within the attempt budget and the deadline, makes the attempt
 * give way: the next attempt ({@code tid#n+1}) is begun at once, its Begin in the log before this
 * attempt's ABORT (so that a reader walking the tid's attempts never takes that ABORT for the tid's
 * last word); its PREPAREs go out after a jittered backoff, once this attempt has rolled back
 * everywhere (so the two never meet at a participant).
 */
final class RetryChain {
    private final Transactions table;
    private final Timers timers;
    private final Backoff backoff;
    private final PhaseOne phaseOne;
    private final Decisions decisions;
    private final ForgottenRuns forgotten;

    RetryChain(Transactions table, Timers timers, Backoff backoff, PhaseOne phaseOne, Decisions decisions,
            ForgottenRuns forgotten) {
        this.table = table;
        this.timers = timers;
        this.backoff = backoff;
        this.phaseOne = phaseOne;
        this.decisions = decisions;
        this.forgotten = forgotten;
    }

    /** A LOCKED vote: gives way to a next attempt if the budget and the deadline allow; false otherwise. */
    boolean giveWay(Attempt attempt, String reason, long nowMs, Outbox out) {
        Txn txn = table.txn(attempt.tid);
        long nextAt = nowMs + backoff.lock(attempt.number);
        if (txn == null || txn.request == null || txn.current != attempt || attempt.number >= txn.maxAttempts
                || nextAt >= txn.deadlineMs) {
            return false;
        }
        attempt.givingWay = true;
        attempt.retryReason = reason;
        attempt.retryAtMs = nextAt;
        if (attempt.beginCommitted) {
            beginSuccessor(attempt, out);
        }
        // Otherwise Begin's result says whose the tid is: this request's (the successor follows) or
        // another's (REJECTED, and no successor under a tid that is not ours).
        return true;
    }

    /** The next attempt's Begin goes out now; its PREPAREs after the lock backoff. */
    void beginSuccessor(Attempt attempt, Outbox out) {
        Txn txn = table.txn(attempt.tid);
        Attempt next = phaseOne.newAttempt(txn, attempt.number + 1);
        next.predecessor = attempt;
        next.after = attempt;
        attempt.successor = next;
        next.prepareAtMs = attempt.retryAtMs;
        out.begin(next, txn.request.serviceIds());
    }

    /** The successor's Begin is in the log: abort the attempt that gave way, and schedule the PREPAREs. */
    void successorBegun(Attempt next, Outbox out) {
        Attempt previous = next.predecessor;
        next.predecessor = null;
        if (previous.phase == AttemptPhase.PREPARING) {
            decisions.decide(previous, Outcome.ABORT, previous.retryReason, AbortKind.LOCKED, out);
        }
        timers.at(next.prepareAtMs, Timers.Kind.NEXT_ATTEMPT, next.tid);
    }

    /** The successor's Begin was refused (the tid is another request's): the attempt that gave way aborts. */
    void successorRefused(Attempt next, Outbox out) {
        Attempt previous = next.predecessor;
        next.predecessor = null;
        if (previous.phase == AttemptPhase.PREPARING) {
            decisions.decide(previous, Outcome.ABORT, previous.retryReason, AbortKind.LOCKED, out);
        }
    }

    /** An attempt reached its End: the attempt begun after it may prepare now. */
    void ended(Attempt attempt, long nowMs, Outbox out) {
        if (attempt.successor != null) {
            prepare(attempt.successor, nowMs, out);
        }
    }

    /**
     * The PREPAREs of an attempt begun ahead go out once its Begin is in the log, the lock backoff is
     * over, and the attempt before it has finished its ROLLBACKs.
     */
    void prepare(Attempt a, long nowMs, Outbox out) {
        boolean previousDone = a.after == null || a.after.phase == AttemptPhase.ENDING
                || a.after.phase == AttemptPhase.ENDED;
        if (a.phase != AttemptPhase.PREPARING || !a.prepareSends.isEmpty() || !a.beginCommitted
                || a.predecessor != null || nowMs < a.prepareAtMs || !previousDone) {
            return;
        }
        if (a.after != null && a.after.forgotten) {
            // The attempt before it had run before: so has the tid, whose outcome is lost. A new
            // attempt must not run in its place.
            forgotten.evidence(a, a.after.forgottenWhy, out);
            return;
        }
        for (ServiceName service : a.services) {
            phaseOne.send(a, service, out);
        }
    }
}
