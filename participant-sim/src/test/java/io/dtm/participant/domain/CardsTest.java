package io.dtm.participant.domain;

import static io.dtm.participant.domain.Fixtures.BAD_LUHN;
import static io.dtm.participant.domain.Fixtures.DECLINED;
import static io.dtm.participant.domain.Fixtures.NOW;
import static io.dtm.participant.domain.Fixtures.VISA;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtm.protocol.participant.VoteCode;

import java.time.Instant;
import java.time.YearMonth;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CardsTest {

    @Test
    void digitsStripSpacesAndDashesAndRequireTwelveToNineteen() {
        assertThat(Cards.digits("4111 1111-1111 1111")).contains(VISA);
        assertThat(Cards.digits("123456789012")).contains("123456789012");
        assertThat(Cards.digits("1234567890123456789")).contains("1234567890123456789");
        assertThat(Cards.digits("12345678901")).isEmpty();
        assertThat(Cards.digits("12345678901234567890")).isEmpty();
        assertThat(Cards.digits("4111x11111111111")).isEmpty();
        assertThat(Cards.digits("4111.1111.1111.1111")).isEmpty();
        // Arabic-Indic digits are digits to Character.isDigit, not to a card network.
        assertThat(Cards.digits("\u0664111111111111111")).isEmpty();
        assertThat(Cards.digits("")).isEmpty();
    }

    @Test
    void luhnAcceptsTheTestNumbersAndRejectsOneDigitOff() {
        assertThat(Cards.luhn(VISA)).isTrue();
        assertThat(Cards.luhn(DECLINED)).isTrue();
        assertThat(Cards.luhn(BAD_LUHN)).isFalse();
        assertThat(Cards.luhn("79927398713")).isTrue();
        assertThat(Cards.luhn("79927398710")).isFalse();
    }

    @Test
    void expiryIsMonthSlashTwoDigitYear() {
        assertThat(Cards.expiry("01/30")).contains(YearMonth.of(2030, 1));
        assertThat(Cards.expiry("12/99")).contains(YearMonth.of(2099, 12));
        assertThat(Cards.expiry("00/30")).isEmpty();
        assertThat(Cards.expiry("13/30")).isEmpty();
        assertThat(Cards.expiry("1/30")).isEmpty();
        assertThat(Cards.expiry("01/2030")).isEmpty();
        assertThat(Cards.expiry("01-30")).isEmpty();
    }

    @Test
    void aValidCardPasses() {
        assertThat(Cards.refusal(VISA, "12/30", NOW)).isEmpty();
        assertThat(Cards.last4(VISA)).isEqualTo("1111");
    }

    @Test
    void badNumbersAreInvalidWithoutShowingThem() {
        assertRefusal(Cards.refusal("4111", "12/30", NOW), VoteCode.INVALID_CARD, "card number is not 12-19 digits");
        assertRefusal(Cards.refusal("4111-1111-1111-111x", "12/30", NOW), VoteCode.INVALID_CARD,
                "card number is not 12-19 digits");
        assertRefusal(Cards.refusal(BAD_LUHN, "12/30", NOW), VoteCode.INVALID_CARD,
                "card ending 1112: fails the Luhn check");
    }

    @Test
    void badExpiryIsInvalidButACardNumberInItIsNotEchoed() {
        assertRefusal(Cards.refusal(VISA, "13/30", NOW), VoteCode.INVALID_CARD, "expiry \"13/30\": expected MM/YY");
        assertRefusal(Cards.refusal(VISA, VISA, NOW), VoteCode.INVALID_CARD, "expiry: expected MM/YY");
    }

    @Test
    void aCardIsValidThroughTheLastDayOfItsExpiryMonthInUtc() {
        long lastMoment = Instant.parse("2026-06-30T23:59:59.999Z").toEpochMilli();

        assertThat(Cards.refusal(VISA, "06/26", lastMoment)).isEmpty();
        assertRefusal(Cards.refusal(VISA, "06/26", lastMoment + 1), VoteCode.CARD_EXPIRED,
                "card ending 1111 expired 06/26");
        assertRefusal(Cards.refusal(VISA, "01/24", NOW), VoteCode.CARD_EXPIRED, "card ending 1111 expired 01/24");
    }

    @Test
    void theIssuerDeclinesCardsEndingInTwoAfterTheOtherChecks() {
        assertRefusal(Cards.refusal(DECLINED, "12/30", NOW), VoteCode.CARD_DECLINED,
                "card ending 0002 declined by issuer");
        assertRefusal(Cards.refusal(DECLINED, "01/24", NOW), VoteCode.CARD_EXPIRED, "card ending 0002 expired 01/24");
        assertRefusal(Cards.refusal(DECLINED, "13/30", NOW), VoteCode.INVALID_CARD,
                "expiry \"13/30\": expected MM/YY");
        // Ends in 0002 but fails Luhn: invalid, not declined.
        assertRefusal(Cards.refusal("4000000000000012", "12/30", NOW), VoteCode.INVALID_CARD,
                "card ending 0012: fails the Luhn check");
    }

    private static void assertRefusal(Optional<Decision> refusal, VoteCode code, String message) {
        assertThat(refusal).isPresent();
        assertThat(refusal.get().isYes()).isFalse();
        assertThat(refusal.get().vote().getCode()).isEqualTo(code);
        assertThat(refusal.get().vote().getMessage()).isEqualTo(message);
    }
}
