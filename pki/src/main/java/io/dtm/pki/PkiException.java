package io.dtm.pki;

/** A certificate or key that cannot be read, made or used, with a message that says which file and why. */
public final class PkiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
