package io.dtm.coordinator.runtime;

import io.dtm.coordinator.core.TxnRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * A leader handing its group to another member without aborting anything: a new leader must abort
 * every attempt it finds undecided in the log (it cannot know the votes), so before the transfer
 * the engine stops starting transactions, holding new submissions, and lets those it runs reach
 * their decisions and answers. Once none is left, the transfer may go ahead; if that takes longer
 * than its bound (a participant slow to vote), the engine gives up and serves what it held, and the
 * group stays where it is for now. Held submissions are served here when the transfer does not
 * happen, and answered NOT_LEADER (so their clients follow the new leader) when it does.
 *
 * <p>Lives on the engine's thread: every method is called there.
 */
final class HandOver {
    /** A submission that came while the engine was handing over. */
    record Held(TxnRequest request, CompletableFuture<SubmitResult> answer) {
    }

    private final EngineThread thread;
    private final int maxHeld;
    private final List<Held> held = new ArrayList<>();
    private boolean holding;
    /** Told whether the engine drained; null once told (or when no hand-over is on). */
    private CompletableFuture<Boolean> ready;
    private EngineThread.Cancellable giveUp;
    private EngineThread.Cancellable expiry;
    /** Counts hand-overs, so that a timer of an earlier one does nothing. */
    private long generation;

    /** {@code maxHeld}: submissions held at most; more are refused (NOT_LEADER) until the hand-over ends. */
    HandOver(EngineThread thread, int maxHeld) {
        this.thread = thread;
        this.maxHeld = maxHeld;
    }

    /**
     * Starts holding new submissions. {@code ready} completes true as soon as {@code drained} holds
     * (checked now and after every event, {@link #check}), or false after {@code maxWaitMs}, when
     * {@code resume} runs. Holding ends with {@link #release}, or by itself after {@code maxHoldMs}
     * (a transfer that neither completed nor failed must not keep clients waiting for good).
     */
    void begin(CompletableFuture<Boolean> ready, long maxWaitMs, long maxHoldMs, BooleanSupplier drained,
            Runnable resume) {
        if (holding) {
            ready.complete(false); // one hand-over at a time
            return;
        }
        long mine = ++generation;
        holding = true;
        this.ready = ready;
        giveUp = thread.schedule(() -> {
            if (generation == mine && this.ready != null) {
                resume.run();
            }
        }, maxWaitMs);
        expiry = thread.schedule(() -> {
            if (generation == mine && holding) {
                resume.run();
            }
        }, maxHoldMs);
        check(drained);
    }

    /** Whether a submission must wait ({@code false}: run it now); {@code refuse} runs instead when the hold is full. */
    boolean hold(TxnRequest request, CompletableFuture<SubmitResult> answer, Runnable refuse) {
        if (!holding) {
            return false;
        }
        if (held.size() >= maxHeld) {
            refuse.run();
        } else {
            held.add(new Held(request, answer));
        }
        return true;
    }

    boolean holding() {
        return holding;
    }

    /** After an event: tells the hand-over the engine drained, if it did. */
    void check(BooleanSupplier drained) {
        if (ready != null && drained.getAsBoolean()) {
            CompletableFuture<Boolean> r = ready;
            ready = null;
            giveUp.cancel();
            r.complete(true);
        }
    }

    /** Ends the hand-over: the submissions held, in their order, for the caller to serve or refuse. */
    List<Held> release() {
        holding = false;
        generation++;
        if (giveUp != null) {
            giveUp.cancel();
            expiry.cancel();
        }
        if (ready != null) {
            CompletableFuture<Boolean> r = ready;
            ready = null;
            r.complete(false);
        }
        List<Held> out = List.copyOf(held);
        held.clear();
        return out;
    }
}
