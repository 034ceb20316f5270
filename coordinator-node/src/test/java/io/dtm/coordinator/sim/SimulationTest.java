package io.dtm.coordinator.sim;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of seeded runs of the whole protocol under drops, duplicates, delays, reordering and
 * crashes of leaders' nodes and of participants, with tiny retention and caches, resubmits at any
 * time, deadlines from 1 ms and clocks hours off, on one log group or three, with a group's members
 * changed during the run (a lost disk: a member replaced, or re-added empty) and leaderships handed
 * over after a drain (a hand-back to a group's preferred leader); the invariants are
 * checked after each. A failure
 * prints its seed; {@code -Ddtm.sim.seed=N} replays that run alone.
 */
class SimulationTest {
    private static final int SEEDS = Integer.getInteger("dtm.sim.seeds", 5_000);

    @Test
    void theInvariantsHoldForEverySeed() {
        long first = Long.getLong("dtm.sim.first", 1);
        long retried = 0;
        long refusals = 0;
        long beyondMemory = 0;
        long aborted = 0;
        long overloaded = 0;
        long withoutBegin = 0;
        long severalGroups = 0;
        long membershipChanges = 0;
        long handOvers = 0;
        long started = System.nanoTime();
        for (long seed = first; seed < first + SEEDS; seed++) {
            Simulation simulation = new Simulation(seed);
            simulation.run(40, 3);
            retried += simulation.answers().values().stream().filter(a -> a.getAttempts() > 1).count();
            aborted += simulation.answers().values().stream().filter(a -> a.getReason().contains("deadline")).count();
            refusals += simulation.clients().retentionRefusals;
            overloaded += simulation.clients().overloaded;
            beyondMemory += simulation.clients().toleratedBeyondMemory;
            withoutBegin += simulation.participants().preparedWithoutBegin;
            severalGroups += simulation.groupCount() > 1 ? 1 : 0;
            membershipChanges += simulation.membershipChanges();
            handOvers += simulation.handOvers();
            if (simulation.clients().toleratedBeyondMemory > 0 && Boolean.getBoolean("dtm.sim.showTolerated")) {
                System.out.println("seed " + seed + ": " + simulation.trace().lines()
                        .filter(l -> l.contains("past the log's memory")).toList());
            }
        }
        System.out.printf("simulation: %d seeds in %.1f s; %d tids retried after LOCKED, %d aborted at their"
                + " deadline, %d answered 'no longer retained', %d submissions turned away OVERLOADED, %d"
                + " contradictions past the log's memory of the id, %d resolutions of attempts prepared without a"
                + " Begin in the log; %d runs on three log groups, %d changes of a group's members, %d leaderships"
                + " handed over after a drain%n",
                SEEDS, (System.nanoTime() - started) / 1e9, retried, aborted, refusals, overloaded, beyondMemory,
                withoutBegin, severalGroups, membershipChanges, handOvers);
        // The runs must explore what they are meant to, or passing says nothing.
        assertThat(retried).as("LOCKED votes made the coordinator retry under new attempt ids").isPositive();
        assertThat(aborted).as("deadlines passed before the votes").isPositive();
        assertThat(refusals).as("resubmits met outcomes that had left retention").isPositive();
        assertThat(overloaded).as("the leader turned submissions away").isPositive();
        assertThat(withoutBegin).as("participants prepared attempts whose Begin never reached the log").isPositive();
        assertThat(severalGroups).as("runs with the log split into groups").isPositive();
        assertThat(membershipChanges).as("groups whose members changed during the run").isPositive();
        assertThat(handOvers).as("leaderships handed over after the leader drained").isPositive();
    }

    @Test
    void replay() {
        Long seed = Long.getLong("dtm.sim.seed");
        if (seed != null) {
            Simulation simulation = new Simulation(seed);
            try {
                simulation.run(40, 3);
            } finally {
                if (System.getProperty("dtm.sim.debug") != null) {
                    System.out.println("trace of seed " + seed + ":\n" + simulation.trace());
                }
            }
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
