package io.dtm.participant;

import io.dtm.participant.domain.DomainService;
import io.dtm.participant.domain.InventoryService;

import java.io.IOException;
import java.util.Random;
import java.util.function.LongSupplier;

/** Test fixtures: engines on a real store (seeded when new), with the test's clocks. */
final class Engines {
    private Engines() {
    }

    /** The sync debt runs on real time, so that a test's frozen clock never holds an acknowledgement back. */
    static ParticipantEngine inventory(ParticipantStore store, LongSupplier clockMs) throws IOException {
        return inventory(store, clockMs, () -> System.nanoTime() / 1_000_000);
    }

    static ParticipantEngine inventory(ParticipantStore store, LongSupplier clockMs, LongSupplier syncClockMs)
            throws IOException {
        return start(store, new InventoryService(), ParticipantCore.DEFAULT_TXN_CACHE, clockMs, syncClockMs,
                new FaultInjector(new Random(1), true));
    }

    /** An inventory engine playing {@code faults}; the sync debt runs on real time. */
    static ParticipantEngine inventory(ParticipantStore store, LongSupplier clockMs, FaultInjector faults)
            throws IOException {
        return start(store, new InventoryService(), ParticipantCore.DEFAULT_TXN_CACHE, clockMs,
                () -> System.nanoTime() / 1_000_000, faults);
    }

    /** Starts {@code service} on {@code store} as the server does, keeping at most about {@code txnCapacity} transactions in memory. */
    static ParticipantEngine start(ParticipantStore store, DomainService service, int txnCapacity, LongSupplier clockMs)
            throws IOException {
        return start(store, service, txnCapacity, clockMs, () -> System.nanoTime() / 1_000_000,
                new FaultInjector(new Random(1), true));
    }

    private static ParticipantEngine start(ParticipantStore store, DomainService service, int txnCapacity,
            LongSupplier clockMs, LongSupplier syncClockMs, FaultInjector faults) throws IOException {
        ParticipantCore core = new ParticipantCore(service, store, txnCapacity);
        core.loadResident();
        ParticipantStore.Batch startup = new ParticipantStore.Batch();
        core.finishLoading(clockMs.getAsLong(), startup);
        if (!startup.isEmpty()) {
            store.write(startup);
        }
        return new ParticipantEngine(service.name().id(), core, store, faults, clockMs,
                syncClockMs, 1024);
    }
}
