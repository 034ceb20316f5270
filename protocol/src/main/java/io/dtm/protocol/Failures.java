package io.dtm.protocol;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What went wrong, seen through the wrappers futures put around it. */
public final class Failures {
    private Failures() {
    }

    /**
     * The failure inside any {@link CompletionException} and {@link ExecutionException} wrappers
     * (a future's {@code join}, {@code get} and dependent stages wrap it, sometimes twice); the
     * failure itself when it is not wrapped, or a wrapper with no cause.
     */
    public static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /**
     * The innermost cause's message, for a one-line log or error: a TLS failure arrives wrapped
     * (DecoderException, SSLHandshakeException) and the reason (an unknown CA, an expired
     * certificate, none at all) is at the bottom.
     */
    public static String describe(Throwable failure) {
        Throwable cause = unwrap(failure);
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }
}
