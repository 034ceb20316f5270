package io.dtm.protocol;

import java.util.Optional;

/**
 * The one rule for transaction ids, shared by every entry point (client, command line, coordinator):
 * 1 to 128 characters of {@code [A-Za-z0-9._:-]}.
 *
 * <p>{@code #} is reserved for {@link AttemptId}s ({@code tid#n}), which the log and the
 * participants key everything by.
 */
public final class TxnIds {
    public static final int MAX_LENGTH = 128;
    /** Most attempts of one tid (the coordinator's retries after LOCKED votes). */
    public static final int MAX_ATTEMPTS = 20;

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
        if (!allAllowed(tid, 0, tid.length())) {
            return Optional.of("tid \"" + printable(tid) + "\" has characters outside [A-Za-z0-9._:-]");
        }
        return Optional.empty();
    }

    // Every participant and the coordinator check the id of each message they get: a scan of the
    // characters, not a regular expression, which was 1.7% of a service's CPU (async-profiler).

    /** Whether every character of {@code s} in [from, to) is one of {@code [A-Za-z0-9._:-]}. */
    private static boolean allAllowed(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /** {@code tid} with control and quote characters escaped, cut at 40 characters: for messages. */
    static String printable(String tid) {
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
