package io.dtm.protocol;

import java.util.Optional;
import java.util.regex.Pattern;

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
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");
    private static final Pattern ATTEMPT = Pattern.compile("[1-9][0-9]{0,8}");

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

    /** Why {@code attemptId} is not a valid attempt id ({@code tid} or {@code tid#n}), or empty when it is. */
    public static Optional<String> attemptProblem(String attemptId) {
        if (attemptId == null) {
            return problem(null);
        }
        int hash = attemptId.lastIndexOf('#');
        if (hash < 0) {
            return problem(attemptId);
        }
        String attempt = attemptId.substring(hash + 1);
        if (!ATTEMPT.matcher(attempt).matches()) {
            return Optional.of("attempt id \"" + printable(attemptId) + "\": expected tid#n with n a number from 1");
        }
        return problem(attemptId.substring(0, hash));
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
