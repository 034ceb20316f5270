package io.dtm.participant.domain;

import io.dtm.protocol.participant.VoteCode;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Card rules of the payment service: number format and Luhn check, expiry, and the simulated issuer.
 *
 * <p>Messages never show more of a card than its last four digits, because vote messages are
 * logged and replicated.
 */
public final class Cards {

    public static final int MIN_DIGITS = 12;
    public static final int MAX_DIGITS = 19;

    /** The simulated issuer declines every card whose number ends with these digits. */
    public static final String DECLINED_SUFFIX = "0002";

    private static final Pattern EXPIRY = Pattern.compile("(0[1-9]|1[0-2])/([0-9]{2})");

    private Cards() {
    }

    /**
     * The card's digits with spaces and dashes removed, or empty when anything else is in it or the
     * count is not {@value #MIN_DIGITS}-{@value #MAX_DIGITS}.
     */
    public static Optional<String> digits(String card) {
        StringBuilder digits = new StringBuilder(card.length());
        for (int i = 0; i < card.length(); i++) {
            char c = card.charAt(i);
            // Only ASCII digits: Character.isDigit would accept other scripts' digits.
            if (c >= '0' && c <= '9') {
                digits.append(c);
            } else if (c != ' ' && c != '-') {
                return Optional.empty();
            }
        }
        if (digits.length() < MIN_DIGITS || digits.length() > MAX_DIGITS) {
            return Optional.empty();
        }
        return Optional.of(digits.toString());
    }

    /** Whether a string of ASCII digits passes the Luhn check. */
    public static boolean luhn(String digits) {
        int sum = 0;
        boolean doubled = false;
        for (int i = digits.length() - 1; i >= 0; i--) {
            int d = digits.charAt(i) - '0';
            if (doubled) {
                d *= 2;
                if (d > 9) {
                    d -= 9;
                }
            }
            sum += d;
            doubled = !doubled;
        }
        return sum % 10 == 0;
    }

    /** The last four characters of a digit string (all of it when shorter). */
    public static String last4(String digits) {
        return digits.substring(Math.max(0, digits.length() - 4));
    }

    /** The expiry month of an {@code MM/YY} string (years 2000-2099), or empty when malformed. */
    public static Optional<YearMonth> expiry(String expiry) {
        Matcher m = EXPIRY.matcher(expiry.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(YearMonth.of(2000 + Integer.parseInt(m.group(2)), Integer.parseInt(m.group(1))));
    }

    /**
     * Why the card cannot pay at {@code nowMs}, as a NO vote, or empty when it can. Checks in order:
     * number format, Luhn, expiry format, expiry date, issuer.
     */
    public static Optional<Decision> refusal(String card, String expiry, long nowMs) {
        Optional<String> digits = digits(card);
        if (digits.isEmpty()) {
            return Optional.of(Decision.no(VoteCode.INVALID_CARD, "card number is not 12-19 digits"));
        }
        String ending = "card ending " + last4(digits.get());
        if (!luhn(digits.get())) {
            return Optional.of(Decision.no(VoteCode.INVALID_CARD, ending + ": fails the Luhn check"));
        }
        Optional<YearMonth> month = expiry(expiry);
        if (month.isEmpty()) {
            return Optional.of(Decision.no(VoteCode.INVALID_CARD, quoteExpiry(expiry) + ": expected MM/YY"));
        }
        // Valid through the last day of the expiry month, so only a later month means expired.
        YearMonth now = YearMonth.from(Instant.ofEpochMilli(nowMs).atZone(ZoneOffset.UTC));
        if (month.get().isBefore(now)) {
            return Optional.of(Decision.no(VoteCode.CARD_EXPIRED, ending + " expired " + expiry.strip()));
        }
        if (digits.get().endsWith(DECLINED_SUFFIX)) {
            return Optional.of(Decision.no(VoteCode.CARD_DECLINED, ending + " declined by issuer"));
        }
        return Optional.empty();
    }

    /**
     * Echoes a malformed expiry only when it cannot be a card number pasted into the wrong field:
     * a real expiry has four digits, a card at least twelve.
     */
    private static String quoteExpiry(String expiry) {
        long digitCount = expiry.chars().filter(c -> c >= '0' && c <= '9').count();
        return digitCount <= 4 && expiry.length() <= 16 ? "expiry \"" + expiry + "\"" : "expiry";
    }
}
