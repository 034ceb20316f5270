package io.dtm.jepsen.history;

import java.util.Locale;

/**
 * Jepsen's operation types: every operation is recorded when invoked and again when it completes,
 * as {@code ok} (it happened), {@code fail} (it certainly did not take effect) or {@code info}
 * (indeterminate: it may or may not have).
 */
public enum OpType {
    INVOKE, OK, FAIL, INFO;

    /** The name in histories: {@code invoke}, {@code ok}, {@code fail}, {@code info}. */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static OpType fromWire(String s) {
        return valueOf(s.toUpperCase(Locale.ROOT));
    }
}
