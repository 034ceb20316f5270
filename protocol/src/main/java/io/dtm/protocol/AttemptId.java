package io.dtm.protocol;

import java.util.Optional;

/**
 * The id of one attempt of a transaction: its tid and the attempt's number, written {@code tid#n}
 * (the coordinator runs attempt 1 as {@code tid#1} and retries a transaction that met a lock as
 * {@code tid#2}, ... up to {@link TxnIds#MAX_ATTEMPTS}). The log and the participants key everything
 * by attempt id. A bare tid (number 0 here) is an attempt id too, for tools and direct clients of
 * a participant. This class is the one place that parses and formats the {@code #n} suffix.
 */
public record AttemptId(String tid, int number) {
    /** Longest attempt number: nine digits, so that it fits an int. */
    private static final int MAX_NUMBER_DIGITS = 9;

    public AttemptId {
        if (number < 0) {
            throw new IllegalArgumentException("attempts count from 1 (0: a bare tid), got " + number);
        }
    }

    /** Attempt {@code number} (from 1) of {@code tid}. */
    public static AttemptId of(String tid, int number) {
        if (number < 1) {
            throw new IllegalArgumentException("attempts count from 1, got " + number);
        }
        return new AttemptId(tid, number);
    }

    /** The text of attempt {@code number} (from 1) of {@code tid}: {@code tid#number}. */
    public static String format(String tid, int number) {
        return of(tid, number).toString();
    }

    /** Why {@code text} is not a valid attempt id ({@code tid} or {@code tid#n}), or empty when it is. */
    public static Optional<String> problem(String text) {
        if (text == null) {
            return TxnIds.problem(null);
        }
        int hash = text.lastIndexOf('#');
        if (hash < 0) {
            return TxnIds.problem(text);
        }
        if (!isNumber(text, hash + 1)) {
            return Optional.of("attempt id \"" + TxnIds.printable(text) + "\": expected tid#n with n a number from 1");
        }
        return TxnIds.problem(text.substring(0, hash));
    }

    /** The attempt id {@code text} names; IllegalArgumentException with the {@link #problem} when invalid. */
    public static AttemptId parse(String text) {
        problem(text).ifPresent(p -> {
            throw new IllegalArgumentException(p);
        });
        int hash = text.lastIndexOf('#');
        return hash < 0 ? new AttemptId(text, 0)
                : new AttemptId(text.substring(0, hash), Integer.parseInt(text.substring(hash + 1)));
    }

    /** The tid of an attempt id ({@code t-1#2} → {@code t-1}; a bare tid is its own); not validated. */
    public static String tidOf(String text) {
        int hash = text.lastIndexOf('#');
        return hash < 0 ? text : text.substring(0, hash);
    }

    /** Whether {@code text} is a bare tid rather than {@code tid#n}; not validated. */
    public static boolean isBare(String text) {
        return text.indexOf('#') < 0;
    }

    /** Whether this is a bare tid rather than {@code tid#n}. */
    public boolean isBare() {
        return number == 0;
    }

    /** The next attempt of the same tid. */
    public AttemptId next() {
        return of(tid, number + 1);
    }

    @Override
    public String toString() {
        return number == 0 ? tid : tid + "#" + number;
    }

    // Every participant and the coordinator check the id of each message they get: a scan of the
    // characters, not a regular expression (see TxnIds).

    /** Whether {@code s} from {@code from} to its end is a number from 1 of at most nine digits, no leading zero. */
    private static boolean isNumber(String s, int from) {
        int digits = s.length() - from;
        if (digits < 1 || digits > MAX_NUMBER_DIGITS || s.charAt(from) == '0') {
            return false;
        }
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
