package io.dtm.coordinator.core;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every pair of phases: the legal steps are taken, every other one is refused with a clear message. */
class AttemptPhaseTest {

    static Stream<Arguments> everyPair() {
        List<Arguments> pairs = new ArrayList<>();
        for (AttemptPhase from : AttemptPhase.values()) {
            for (AttemptPhase to : AttemptPhase.values()) {
                pairs.add(Arguments.of(from, to));
            }
        }
        return pairs.stream();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void onlyLegalPredecessorsMayEnterAPhase(AttemptPhase from, AttemptPhase to) {
        if (to.predecessors().contains(from)) {
            assertThat(to.from(from, "t#1")).isEqualTo(to);
        } else {
            assertThatThrownBy(() -> to.from(from, "t#1"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("t#1").hasMessageContaining("illegal transition " + from + " -> " + to);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("phases")
    void noPhaseFollowsItself(AttemptPhase phase) {
        assertThat(phase.predecessors()).doesNotContain(phase);
    }

    static Stream<AttemptPhase> phases() {
        return Stream.of(AttemptPhase.values());
    }
}
