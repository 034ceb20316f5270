package io.dtm.coordinator.runtime;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnRecord;

/**
 * A deliberate bug an engine can be given, to show that the Jepsen-style checkers catch a coordinator
 * that breaks two-phase commit. Production engines get {@link #NONE}; a node gets another only when
 * started with {@code -Ddtm.test.break=NAME} (it says so in an ERROR line).
 */
public interface Breakage {
    /** What a breakage may make the engine do instead of appending a record. */
    interface Moves {
        /** Sends COMMIT for {@code attemptId} to its participants now, whatever the log says. */
        void commitNow(String attemptId);

        /** Appends {@code record} only after {@code delayMs}. */
        void appendAfter(String attemptId, TxnRecord record, long delayMs);
    }

    /** Given a record about to be appended: true when it took the append over. */
    boolean takeOver(String attemptId, TxnRecord record, Moves moves);

    Breakage NONE = (attemptId, record, moves) -> false;

    /**
     * COMMIT goes to the participants as soon as the decision is proposed, and the decision is logged a
     * second later: a leader killed in that second leaves participants committed for a transaction the
     * next leader aborts.
     */
    Breakage COMMIT_BEFORE_DECISION = (attemptId, record, moves) -> {
        if (!record.hasDecide() || record.getDecide().getOutcome() != Outcome.COMMIT) {
            return false;
        }
        moves.commitNow(attemptId);
        moves.appendAfter(attemptId, record, 1_000);
        return true;
    };

    /** The breakage called {@code name} ("" for none). */
    static Breakage named(String name) {
        return switch (name) {
            case "" -> NONE;
            case "commit-before-decision" -> COMMIT_BEFORE_DECISION;
            default -> throw new IllegalArgumentException("unknown breakage \"" + name
                    + "\" (known: commit-before-decision)");
        };
    }
}
