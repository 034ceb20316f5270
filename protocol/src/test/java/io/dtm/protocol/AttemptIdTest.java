package io.dtm.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AttemptIdTest {
    @ParameterizedTest
    @ValueSource(strings = {"t-1", "t-1#1", "t-1#2", "order.7#999999999"})
    void acceptsAttemptIds(String id) {
        assertThat(AttemptId.problem(id)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"t-1#", "t-1#0", "t-1#x", "#1", "t 1#1", "t#1#2", "t-1#01", "t-1#1234567890",
        "t-1#+1", "t-1#-1", "t-1#1 ", "t-1#\u0661"})
    void refusesMalformedAttemptIds(String id) {
        assertThat(AttemptId.problem(id)).isPresent();
    }

    @Test
    void formatsAttemptIdsThatParseBack() {
        assertThat(AttemptId.format("t-1", 3)).isEqualTo("t-1#3");
        assertThat(AttemptId.parse("t-1#3")).isEqualTo(new AttemptId("t-1", 3));
        assertThat(AttemptId.parse("t-1#3").next().toString()).isEqualTo("t-1#4");
    }

    @Test
    void aBareTidIsAnAttemptIdNumberedZero() {
        AttemptId bare = AttemptId.parse("order.7");
        assertThat(bare.isBare()).isTrue();
        assertThat(bare.number()).isZero();
        assertThat(bare.toString()).isEqualTo("order.7");
        assertThat(AttemptId.isBare("order.7")).isTrue();
        assertThat(AttemptId.isBare("order.7#1")).isFalse();
    }

    @Test
    void tidOfDropsTheAttemptNumber() {
        assertThat(AttemptId.tidOf("t-1#12")).isEqualTo("t-1");
        assertThat(AttemptId.tidOf("t-1")).isEqualTo("t-1");
    }

    @Test
    void refusesToParseOrFormatWhatIsNoAttempt() {
        assertThatThrownBy(() -> AttemptId.parse("t-1#0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected tid#n");
        assertThatThrownBy(() -> AttemptId.parse("t 1#1")).hasMessageContaining("outside [A-Za-z0-9._:-]");
        assertThatThrownBy(() -> AttemptId.format("t-1", 0)).hasMessageContaining("count from 1");
    }
}
