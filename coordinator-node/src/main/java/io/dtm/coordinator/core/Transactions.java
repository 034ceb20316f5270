package io.dtm.coordinator.core;

import io.dtm.protocol.AttemptId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The leader's table: transactions by tid, their attempts by attempt id, and the attempts whose
 * ABORT is being marked forgotten. Every part of the core works on this one table, on one thread.
 */
final class Transactions {
    private final Map<String, Txn> txns = new HashMap<>();
    private final Map<String, Attempt> attempts = new HashMap<>();
    /** Attempts whose ABORT this leader is marking forgotten, until the mark is in the log (they may have ended meanwhile). */
    private final Map<String, Attempt> marking = new HashMap<>();

    Txn txn(String tid) {
        return txns.get(tid);
    }

    /** The transaction of an attempt id ({@code tid#n}), or null. */
    Txn txnOf(String attemptId) {
        return txns.get(AttemptId.tidOf(attemptId));
    }

    void put(Txn txn) {
        txns.put(txn.tid, txn);
    }

    void remove(Txn txn) {
        txns.remove(txn.tid);
    }

    Attempt attempt(String attemptId) {
        return attempts.get(attemptId);
    }

    boolean has(String attemptId) {
        return attempts.containsKey(attemptId);
    }

    void put(Attempt attempt) {
        attempts.put(attempt.attemptId, attempt);
    }

    void remove(Attempt attempt) {
        attempts.remove(attempt.attemptId);
    }

    /** An answered transaction whose current attempt ended leaves the table. */
    void forgetIfDone(Txn txn) {
        if (txn.answered && (txn.current == null || txn.current.phase == AttemptPhase.ENDED)) {
            txns.remove(txn.tid);
        }
    }

    Map<String, Attempt> marking() {
        return marking;
    }

    int txnCount() {
        return txns.size();
    }

    Collection<Txn> txns() {
        return txns.values();
    }

    Collection<Attempt> attempts() {
        return attempts.values();
    }

    /** Up to {@code max} transactions, each with where it stands (for operators). */
    List<String> describe(int max) {
        List<String> out = new ArrayList<>();
        for (Txn txn : txns.values()) {
            if (out.size() == max) {
                break;
            }
            Attempt a = txn.current;
            out.add(txn.tid + (a == null ? "" : " (" + a.attemptId + " " + a.phase + (a.answerAwaitsAck
                    ? ", answer awaits an acknowledgement" : "") + ")") + (txn.answered ? " answered" : " unanswered"));
        }
        return out;
    }

    /**
     * Attempts with no decision in the log yet (preparing, fencing, or their Decide not yet
     * applied): what a new leader would have to abort, since it cannot know their votes.
     */
    int undecided() {
        int n = 0;
        for (Attempt a : attempts.values()) {
            if (a.phase == AttemptPhase.PREPARING || a.phase == AttemptPhase.FENCING
                    || a.phase == AttemptPhase.DECIDING) {
                n++;
            }
        }
        return n;
    }

    /** Attempts waiting for phase-2 acknowledgements. */
    int inPhaseTwo() {
        int n = 0;
        for (Attempt a : attempts.values()) {
            if (a.phase == AttemptPhase.COMMITTING || a.phase == AttemptPhase.ROLLING_BACK) {
                n++;
            }
        }
        return n;
    }
}
