package io.dtm.log;

/** A request to the replicated log failed; the cause says why (no leader, timeout, refused). */
public final class LogException extends RuntimeException {
    public LogException(String message, Throwable cause) {
        super(cause == null ? message : message + ": " + cause.getMessage(), cause);
    }
}
