package io.dtm.protocol;

import java.util.Optional;

/**
 * The one rule for transaction ids, shared by every entry point (client, command line, coordinator):
 * 1 to 128 characters of {@code [A-Za-z0-9._:-]}.
 *
 * <p>An attempt id names one attempt of a transaction: the tid, optionally followed by
 * {@code #n} (the coordinator retries a transaction that met a lock under {@code tid#2}, ...).
 * The log and the participants key everything by attempt id; {@code #} is reserved for it.
 */
public final class TxnIds {
    public static final int MAX_LENGTH = 128;
    /** Most attempts of one tid (the coordinator's retries after LOCKED votes). */
    public static final int MAX_ATTEMPTS = 20;
    /** Longest attempt number: nine digits, so that it fits an int. */
    private static final int MAX_ATTEMPT_DIGITS = 9;

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

    /** Why {@code attemptId} is not a valid attempt id ({@code tid} or {@code tid#n}), or empty when it is. */
    public static Optional<String> attemptProblem(String attemptId) {
        if (attemptId == null) {
            return problem(null);
        }
        int hash = attemptId.lastIndexOf('#');
        if (hash < 0) {
            return problem(attemptId);
        }
        if (!isAttemptNumber(attemptId, hash + 1)) {
            return Optional.of("attempt id \"" + printable(attemptId) + "\": expected tid#n with n a number from 1");
        }
        return problem(attemptId.substring(0, hash));
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

    /** Whether {@code s} from {@code from} to its end is a number from 1 of at most nine digits, no leading zero. */
    private static boolean isAttemptNumber(String s, int from) {
        int digits = s.length() - from;
        if (digits < 1 || digits > MAX_ATTEMPT_DIGITS || s.charAt(from) == '0') {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The attempt id of attempt {@code n} (from 1) of {@code tid}. */
    public static String attemptId(String tid, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("attempts count from 1, got " + n);
        }
        return tid + "#" + n;
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
