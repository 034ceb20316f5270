package io.dtm.coordinator.runtime;

import java.util.concurrent.RejectedExecutionException;

/**
 * The one thread a {@link CoordinatorEngine} runs every event on, with its timer: in a node, the
 * event loop of the participant connections; in the simulation, the simulated clock's event queue.
 */
public interface EngineThread {
    /** Runs {@code task} on the thread, after what is queued there. */
    void execute(Runnable task) throws RejectedExecutionException;

    /** Runs {@code task} on the thread in {@code delayMs}; the result cancels it. */
    Cancellable schedule(Runnable task, long delayMs);

    /** Whether the caller is that thread. */
    boolean inThread();

    /** A scheduled task that may still be called off. */
    interface Cancellable {
        void cancel();
    }
}
