package io.dtm.coordinator.core;

import io.dtm.protocol.AttemptId;
import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A new leader takes over what the log holds in flight: an undecided attempt is aborted (presumed
 * abort: whoever began it is gone; a one-phase one is fenced first), a decided one gets its phase 2
 * again. Clients that resubmit join these transactions.
 */
final class Takeover {
    private final Transactions table;
    private final Admission admission;
    private final Decisions decisions;
    private final PhaseTwo phaseTwo;
    private final Answers answers;

    Takeover(Transactions table, Admission admission, Decisions decisions, PhaseTwo phaseTwo, Answers answers) {
        this.table = table;
        this.admission = admission;
        this.decisions = decisions;
        this.phaseTwo = phaseTwo;
        this.answers = answers;
    }

    void recover(List<TxnState> inFlight, long nowMs, Outbox out) {
        // First every attempt, so that each tid knows its latest one before any is driven: only the
        // latest attempt's outcome may answer the client.
        List<Map.Entry<Attempt, TxnState>> recovered = new ArrayList<>();
        for (TxnState state : inFlight) {
            Attempt attempt = attemptOf(state);
            if (attempt != null) {
                recovered.add(Map.entry(attempt, state));
            }
        }
        for (Map.Entry<Attempt, TxnState> r : recovered) {
            Attempt attempt = r.getKey();
            TxnState state = r.getValue();
            if (state.getOutcome() == Outcome.UNDECIDED) {
                decisions.abortOrFence(attempt, "coordinator failover before decision", "FAILOVER", out);
            } else {
                phaseTwo.start(attempt, state.getOutcome(), state.getReason(), out);
                answers.finish(attempt, nowMs, out);
            }
        }
    }

    /** The attempt a record in flight stands for, in the table; null for a tool's record or one already driven. */
    private Attempt attemptOf(TxnState state) {
        String attemptId = state.getAttemptId();
        if (AttemptId.isBare(attemptId) || table.has(attemptId)) {
            return null;
        }
        AttemptId parsed = AttemptId.parse(attemptId);
        String tid = parsed.tid();
        int number = parsed.number();
        List<ServiceName> services = state.getParticipantsList().stream()
                .map(id -> ServiceName.fromId(id).orElseThrow(() -> new IllegalStateException(
                        attemptId + ": unknown participant " + id + " in the log")))
                .toList();
        Attempt attempt = new Attempt(attemptId, tid, number, services, state.getDeadlineMs(),
                state.getRequestDigest(), state.getRunId(), AttemptPhase.PREPARING);
        if (state.getForgotten()) {
            attempt.forgotten = true;
            attempt.forgottenWhy = state.getReason();
        }
        attempt.beginCommitted = true;
        attempt.neverDecided = state.getNeverDecided();
        attempt.lastConfirmed = state.getLastAttempt();
        table.put(attempt);
        Txn txn = table.txn(tid);
        if (txn == null) {
            txn = new Txn(tid, null, state.getRequestDigest(), state.getDeadlineMs(), number);
            txn.established = true;
            table.put(txn);
            admission.taken();
        }
        if (txn.current == null || txn.current.number < number) {
            txn.current = attempt;
        }
        return attempt;
    }
}
