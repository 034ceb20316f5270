package io.dtm.protocol;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The one rule for transaction ids, shared by every entry point (client, command line, coordinator):
 * 1 to 128 characters of {@code [A-Za-z0-9._:-]}. The coordinator keys log records by
 * {@code tid#attempt}, so {@code #} is reserved.
 */
public final class TxnIds {
    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    private TxnIds() {
    }

    /** Why {@code tid} is not a valid transaction id, or empty when it is. */
    public static Optional<String> problem(String tid) {
        if (tid == null || tid.isEmpty()) {
            return Optional.of("tid is missing or empty");
        }
        if (tid.length() > MAX_LENGTH) {
            return Optional.of("tid is " + tid.length() + " characters long; at most " + MAX_LENGTH + " are allowed");
        }
        if (!VALID.matcher(tid).matches()) {
            return Optional.of("tid \"" + printable(tid) + "\" has characters outside [A-Za-z0-9._:-]");
        }
        return Optional.empty();
    }

    private static String printable(String tid) {
        StringBuilder out = new StringBuilder();
        tid.codePoints().limit(40).forEach(c -> {
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                out.appendCodePoint(c);
            } else {
                out.append(String.format("\\u%04x", c));
            }
        });
        return tid.length() > 40 ? out + "..." : out.toString();
    }
}
