package io.dtm.jepsen.check;

import io.dtm.jepsen.history.OpType;

/**
 * What the answer to one submission says about its tid, by the contract of {@code SubmitResult}:
 * the answer for a tid never changes, except that past retention it may become "no longer
 * retained"; a different request under a tid is refused, never run.
 */
enum Answer {
    /** {@code ok}: the tid committed. */
    COMMITTED,
    /** {@code fail} with status ABORTED: the tid aborted. */
    ABORTED,
    /** REJECTED "the outcome of tid X is no longer retained": says nothing about the outcome. */
    NOT_RETAINED,
    /**
     * REJECTED "tid X was used for a different request" or "tid X is running with a different
     * request": the tid is another request's; says nothing about its outcome.
     */
    DIFFERENT_REQUEST,
    /** REJECTED for any other reason (an invalid request): nothing of this submission ran. */
    REJECTED,
    /** {@code info}: OVERLOADED, UNKNOWN, or no answer at all; it may have run or not. */
    INDETERMINATE,
    /** {@code fail} without a status (NOT_LEADER, UNAVAILABLE, not connected): it did nothing and says nothing. */
    REFUSED;

    static final String NOT_RETAINED_REASON = "is no longer retained";

    /** The answer of a submission ({@link Calls.Call#isSubmission()}). */
    static Answer of(Calls.Call c) {
        if (c.type() == OpType.INFO) {
            return INDETERMINATE;
        }
        if (c.type() == OpType.OK) {
            return COMMITTED;
        }
        Object status = c.resultOf("status");
        if ("ABORTED".equals(status)) {
            return ABORTED;
        }
        if (!"REJECTED".equals(status)) {
            return REFUSED;
        }
        String reason = c.completion().error() == null ? "" : c.completion().error();
        if (reason.contains(NOT_RETAINED_REASON)) {
            return NOT_RETAINED;
        }
        if (reason.contains("was used for a different request") || reason.contains("is running with a different request")) {
            return DIFFERENT_REQUEST;
        }
        return REJECTED;
    }

    /** COMMITTED or ABORTED: an outcome of the tid. */
    boolean isOutcome() {
        return this == COMMITTED || this == ABORTED;
    }
}
