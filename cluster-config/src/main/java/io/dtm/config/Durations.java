package io.dtm.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations the way people type them on a command line: {@code 500ms}, {@code 30s}, {@code 2m},
 * {@code 1h}. One parser for every program of the project (the {@code dtm} commands and the harness).
 */
public final class Durations {
    private static final Pattern FORMAT = Pattern.compile("(\\d+)(ms|s|m|h)");

    private Durations() {
    }

    /** @throws IllegalArgumentException naming the value and the accepted forms */
    public static Duration parse(String value) {
        Matcher m = FORMAT.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a duration; write e.g. 500ms, 30s, 2m or 1h");
        }
        try {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("'" + value + "' is too long a duration");
        }
    }

    /** The way people write it back: 500ms, 30s, 2m. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        return ms % 60_000 == 0 && ms > 0 ? ms / 60_000 + "m" : ms / 1000 + "s";
    }
}
