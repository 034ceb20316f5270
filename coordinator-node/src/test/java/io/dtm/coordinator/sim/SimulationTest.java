package io.dtm.coordinator.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of seeded runs of the whole protocol under drops, duplicates, delays, reordering and
 * crashes of the leader and of participants; the invariants are checked after each. A failure
 * prints its seed; {@code -Ddtm.sim.seed=N} replays that run alone.
 */
class SimulationTest {
    private static final int SEEDS = Integer.getInteger("dtm.sim.seeds", 2_000);

    @Test
    void theInvariantsHoldForEverySeed() {
        long first = Long.getLong("dtm.sim.first", 1);
        long retried = 0;
        for (long seed = first; seed < first + SEEDS; seed++) {
            Simulation simulation = new Simulation(seed);
            simulation.run(40, 3);
            retried += simulation.answers().values().stream().filter(a -> a.getAttempts() > 1).count();
        }
        assertThat(retried).as("LOCKED votes made the coordinator retry under new attempt ids").isPositive();
    }

    @Test
    void replay() {
        Long seed = Long.getLong("dtm.sim.seed");
        if (seed != null) {
            new Simulation(seed).run(40, 3);
        }
        assertThat(SEEDS).isPositive();
    }

    @Test
    void theSameSeedRunsTheSameWay() {
        Simulation a = new Simulation(42);
        a.run(40, 3);
        Simulation b = new Simulation(42);
        b.run(40, 3);
        assertThat(b.answers()).isEqualTo(a.answers());
        assertThat(b.trace()).isEqualTo(a.trace());
    }
}
