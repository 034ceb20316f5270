package io.dtm.coordinator.core;

/**
 * Why an attempt aborted, in a word (the rest are NO vote codes, TIMEOUT, DEADLINE, FAILOVER,
 * PARTICIPANT_ABORT): the retry decision and the metrics use it.
 */
public final class AbortKind {
    /** A participant's record was held by another attempt. */
    public static final String LOCKED = "LOCKED";
    /** An abort that only undid a re-run of a tid whose outcome is no longer retained. */
    public static final String FORGOTTEN = "FORGOTTEN";
    /** A NO a participant gave in an earlier run that never reached the log. */
    public static final String EARLIER_RUN = "EARLIER_RUN";

    private AbortKind() {
    }
}
