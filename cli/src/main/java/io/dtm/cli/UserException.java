package io.dtm.cli;

/**
 * A failure the user can act on: printed as one line (what went wrong and what to do next),
 * without a stack trace, and turned into the given exit code.
 */
public final class UserException extends RuntimeException {
    private final int exitCode;

    public UserException(String message) {
        this(message, 1);
    }

    public UserException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
