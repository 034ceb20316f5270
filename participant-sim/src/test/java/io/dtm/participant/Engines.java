package io.dtm.participant;

import io.dtm.participant.domain.InventoryService;

import java.io.IOException;
import java.util.Random;
import java.util.function.LongSupplier;

/** Test fixtures: a seeded inventory engine on a real store, with the test's clocks. */
final class Engines {
    private Engines() {
    }

    /** The sync debt runs on real time, so that a test's frozen clock never holds an acknowledgement back. */
    static ParticipantEngine inventory(ParticipantStore store, LongSupplier clockMs) throws IOException {
        return inventory(store, clockMs, () -> System.nanoTime() / 1_000_000);
    }

    static ParticipantEngine inventory(ParticipantStore store, LongSupplier clockMs, LongSupplier syncClockMs)
            throws IOException {
        ParticipantCore core = new ParticipantCore(new InventoryService(), store, ParticipantCore.DEFAULT_TXN_CACHE);
        try (ParticipantStore.Batch seed = new ParticipantStore.Batch()) {
            core.finishLoading(clockMs.getAsLong(), seed);
            store.write(seed);
        }
        return new ParticipantEngine("inventory", core, store, new FaultInjector(new Random(1)), clockMs, syncClockMs,
                1024);
    }
}
