package io.dtm.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class TxnIdsTest {
    @ParameterizedTest
    @ValueSource(strings = {"t-1", "order.2026-12-24:42", "A_b", "x"})
    void acceptsIdsOfTheAllowedAlphabet(String tid) {
        assertThat(TxnIds.problem(tid)).isEmpty();
    }

    @Test
    void acceptsExactlyTheMaximumLength() {
        assertThat(TxnIds.problem("a".repeat(128))).isEmpty();
        assertThat(TxnIds.problem("a".repeat(129))).get().asString().contains("129 characters", "at most 128");
    }

    @ParameterizedTest
    @ValueSource(strings = {"t 1", "t#2", "tï", "a/b", "t\n"})
    void refusesOtherCharactersAndSaysWhich(String tid) {
        assertThat(TxnIds.problem(tid)).get().asString().contains("outside [A-Za-z0-9._:-]");
    }

    @Test
    void refusesMissingIds() {
        assertThat(TxnIds.problem(null)).get().asString().contains("missing");
        assertThat(TxnIds.problem("")).get().asString().contains("empty");
    }

    @Test
    void escapesControlCharactersInTheMessage() {
        assertThat(TxnIds.problem("a\u0000b")).get().asString().contains("a\\u0000b");
    }

    @Test
    void acceptsExactlyTheCharactersOfTheDocumentedClass() {
        Pattern documented = Pattern.compile("[A-Za-z0-9._:-]");
        for (char c = 0; c < 0x3000; c++) {
            String one = String.valueOf(c);
            assertThat(TxnIds.problem("t" + one).isEmpty()).as("U+%04x", (int) c)
                    .isEqualTo(documented.matcher(one).matches());
        }
    }
}
