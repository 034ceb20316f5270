package io.dtm.participant;

import io.dtm.config.CrashPoint;
import io.dtm.config.FaultsConfig;
import io.dtm.protocol.participant.Faults;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Fault injection is a test feature: off, an injector plays nothing and can be given nothing. */
class FaultInjectorTest {

    @Test
    void configuredFaultsWithInjectionOffAreRefusedNotIgnored() {
        FaultsConfig crash = new FaultsConfig(0, 0, 0, 0, CrashPoint.AFTER_VOTE_PERSISTED, List.of());

        assertThatThrownBy(() -> FaultInjector.fromConfig(crash, false, 0, new Random(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("participants.faultInjection");
    }

    @Test
    void offItPlaysNoFaultAndRefusesNewOnes() {
        FaultInjector off = FaultInjector.fromConfig(FaultsConfig.none(), false, 0, new Random(1));

        assertThat(off.enabled()).isFalse();
        assertThatThrownBy(() -> off.set(Faults.newBuilder().setDropProbability(1).build()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(off.silent(0)).isFalse();
        assertThat(off.crashArmed()).isFalse();
        assertThat(off.latencyMs()).isZero();
    }

    @Test
    void onItPlaysWhatItIsGiven() {
        FaultInjector on = FaultInjector.fromConfig(FaultsConfig.none(), true, 0, new Random(1));

        on.set(Faults.newBuilder().setDropProbability(1).build());

        assertThat(on.enabled()).isTrue();
        assertThat(on.silent(0)).isTrue();
    }
}
