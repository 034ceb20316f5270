package io.dtm.jepsen.check;

/** A checker's result; combined, invalid beats unknown beats valid. */
public enum Verdict {
    VALID, UNKNOWN, INVALID;

    public Verdict and(Verdict other) {
        return compareTo(other) >= 0 ? this : other;
    }

    /** The name in results.json: {@code valid}, {@code unknown}, {@code invalid}. */
    public String wire() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
