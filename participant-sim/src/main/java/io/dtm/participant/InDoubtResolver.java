package io.dtm.participant;

import io.dtm.protocol.Failures;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.Rollback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Finishes transactions that stayed PREPARED longer than the in-doubt timeout: their coordinator
 * went quiet (crashed, partitioned, or just slow). For each, it asks the log for the outcome; if
 * none is logged it proposes ABORT, and applies whichever outcome stands. Safe against a racing
 * coordinator because the log keeps only the first decision.
 *
 * <p>{@link #resolveOnce()} finds the attempts in doubt and queues those not queued yet; the server
 * calls it on a timer, tests call it directly with a fake clock. The queue is worked through as fast
 * as the log answers, at most {@link #MAX_IN_FLIGHT} questions outstanding: each answer starts the
 * next question, so thousands left in doubt by a long partition are not paced by the timer.
 *
 * <p>When a question fails (no node can answer, most likely), the resolver pauses: it starts no
 * question and forgets the queue until {@code retryTimer} runs a fresh scan after a backoff that
 * doubles with each pause without a success in between ({@link #BACKOFF_MIN_MS} to
 * {@link #BACKOFF_MAX_MS}). An unreachable log thus costs one question per backoff, not a tight loop
 * of thousands. An attempt whose question failed goes to the back of the next scan, so that one
 * that keeps failing cannot hold up the others.
 */
public final class InDoubtResolver {
    private static final Logger LOG = LoggerFactory.getLogger(InDoubtResolver.class);
    /** Questions outstanding at once: bounds the load a backlog puts on the log and on this service. */
    static final int MAX_IN_FLIGHT = 64;
    /** First pause after a failed question; each further pause without a success doubles it. */
    static final long BACKOFF_MIN_MS = 100;
    static final long BACKOFF_MAX_MS = 5_000;

    /** Runs a task after a delay: the server's timer thread, a test's fake. */
    @FunctionalInterface
    interface RetryTimer {
        void schedule(Runnable task, long delayMs);
    }

    /** An attempt queued or being asked about; {@code tried} completes once it has been tried (or dropped by a pause). */
    private record Pending(ParticipantCore.InDoubt attempt, CompletableFuture<Void> tried) {
    }

    private final String name;
    private final ParticipantEngine engine;
    private final DecisionSource decisions;
    private final long inDoubtTimeoutMs;
    private final LongSupplier clockMs;
    private final RetryTimer retryTimer;

    private final Object lock = new Object();
    /** Every attempt queued or in flight, by tid; guarded by {@link #lock}, like the fields below. */
    private final Map<String, Pending> known = new HashMap<>();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    /** Whether some thread is starting questions: only one does, in a loop (no recursion when answers come at once). */
    private boolean pumping;
    private boolean paused;
    /** Pauses since the last answered question: the exponent of the next backoff. */
    private int pausesInARow;
    /** Attempts whose last question failed: the next scan puts them last. Only tids still in doubt are kept. */
    private final Set<String> failedLastTime = new HashSet<>();
    /** Outcomes applied since the queue was last empty: logged as one line when it empties. */
    private long committedSinceIdle;
    private long rolledBackSinceIdle;

    InDoubtResolver(String name, ParticipantEngine engine, DecisionSource decisions, long inDoubtTimeoutMs,
            LongSupplier clockMs, RetryTimer retryTimer) {
        this.name = name;
        this.engine = engine;
        this.decisions = decisions;
        this.inDoubtTimeoutMs = inDoubtTimeoutMs;
        this.clockMs = clockMs;
        this.retryTimer = retryTimer;
    }

    /**
     * Queues every attempt in doubt now and starts asking; completes when each of them has been
     * tried once (or dropped by a pause: the scan after it finds them again). While paused after a
     * failure it does nothing: the scheduled retry scans.
     */
    CompletableFuture<Void> resolveOnce() {
        synchronized (lock) {
            if (paused) {
                return CompletableFuture.completedFuture(null);
            }
        }
        long cutoff = clockMs.getAsLong() - inDoubtTimeoutMs;
        return engine.read(core -> core.preparedSince(cutoff)).thenCompose(this::enqueue);
    }

    private CompletableFuture<Void> enqueue(List<ParticipantCore.InDoubt> inDoubt) {
        List<CompletableFuture<Void>> round = new ArrayList<>(inDoubt.size());
        synchronized (lock) {
            if (paused) {
                return CompletableFuture.completedFuture(null);
            }
            Set<String> stillInDoubt = new HashSet<>();
            List<ParticipantCore.InDoubt> failedBefore = new ArrayList<>();
            for (ParticipantCore.InDoubt d : inDoubt) {
                stillInDoubt.add(d.attemptId());
                if (failedLastTime.contains(d.attemptId())) {
                    failedBefore.add(d);
                } else {
                    round.add(add(d));
                }
            }
            failedBefore.forEach(d -> round.add(add(d)));
            failedLastTime.retainAll(stillInDoubt);
        }
        pump();
        return CompletableFuture.allOf(round.toArray(CompletableFuture[]::new));
    }

    /** Queues {@code d} unless it is queued or in flight already; its {@code tried} future either way. Under the lock. */
    private CompletableFuture<Void> add(ParticipantCore.InDoubt d) {
        Pending p = known.get(d.attemptId());
        if (p == null) {
            p = new Pending(d, new CompletableFuture<>());
            known.put(d.attemptId(), p);
            queue.add(p);
        }
        return p.tried;
    }

    /**
     * Starts questions while there is room, a queue and no pause. Only one thread runs the loop: a
     * question that finishes at once calls this again from inside {@link #start}, returns at once,
     * and leaves the room it made to the loop already running, so answers that come at once cost
     * no stack depth.
     */
    private void pump() {
        synchronized (lock) {
            if (pumping) {
                return;
            }
            pumping = true;
        }
        while (true) {
            Pending next;
            synchronized (lock) {
                if (paused || inFlight >= MAX_IN_FLIGHT || queue.isEmpty()) {
                    pumping = false;
                    return;
                }
                next = queue.poll();
                inFlight++;
            }
            start(next);
        }
    }

    private void start(Pending p) {
        CompletableFuture<Void> asked;
        try {
            asked = resolve(p.attempt);
        } catch (RuntimeException e) {
            asked = CompletableFuture.failedFuture(e);
        }
        asked.whenComplete((ok, error) -> finished(p, error));
    }

    /** One question done: on a failure, pauses (once) and schedules the scan that ends the pause. */
    private void finished(Pending p, Throwable error) {
        String attemptId = p.attempt.attemptId();
        List<Pending> dropped = List.of();
        long backoffMs = -1;
        long committed = 0;
        long rolledBack = 0;
        synchronized (lock) {
            inFlight--;
            known.remove(attemptId);
            if (error == null) {
                pausesInARow = 0;
                failedLastTime.remove(attemptId);
            } else {
                failedLastTime.add(attemptId);
                if (!paused) {
                    paused = true;
                    backoffMs = backoffMs(pausesInARow++);
                    // The queue is forgotten, not kept: the scan after the pause finds what is still in doubt.
                    dropped = new ArrayList<>(queue);
                    queue.clear();
                    dropped.forEach(d -> known.remove(d.attempt.attemptId()));
                }
            }
            if (inFlight == 0 && queue.isEmpty()) {
                committed = committedSinceIdle;
                rolledBack = rolledBackSinceIdle;
                committedSinceIdle = 0;
                rolledBackSinceIdle = 0;
            }
        }
        if (committed + rolledBack > 0) {
            LOG.info("[{}] resolved {} attempts in doubt through the log: {} committed, {} rolled back",
                    name, committed + rolledBack, committed, rolledBack);
        }
        p.tried.complete(null);
        dropped.forEach(d -> d.tried.complete(null));
        if (backoffMs >= 0) {
            Throwable cause = Failures.unwrap(error);
            LOG.warn("[{}] the log cannot be asked about {} in doubt now ({}); {} more wait; asking again in {} ms",
                    name, attemptId, cause.getMessage(), dropped.size(), backoffMs);
            retryTimer.schedule(this::endPause, backoffMs);
        }
        pump();
    }

    /** {@link #BACKOFF_MIN_MS} doubled {@code pausesBefore} times, at most {@link #BACKOFF_MAX_MS}. */
    static long backoffMs(int pausesBefore) {
        return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS << Math.min(pausesBefore, 16));
    }

    private void endPause() {
        synchronized (lock) {
            paused = false;
        }
        resolveOnce().whenComplete((ok, error) -> {
            if (error != null) {
                LOG.warn("[{}] in-doubt scan failed: {}", name, error.toString());
            }
        });
    }

    private CompletableFuture<Void> resolve(ParticipantCore.InDoubt attempt) {
        String attemptId = attempt.attemptId();
        return decisions.state(attemptId)
                .thenCompose(state -> state.getOutcome() == Outcome.UNDECIDED && state.getStatus() != TxnStatus.FORGOTTEN
                        ? decisions.proposeAbort(attemptId, name + ": no decision after " + inDoubtTimeoutMs + " ms in doubt")
                        : CompletableFuture.completedFuture(state))
                .thenCompose(state -> apply(attemptId, outcomeFor(attempt, state)));
    }

    private Outcome outcomeFor(ParticipantCore.InDoubt attempt, TxnState state) {
        Outcome outcome = outcomeFor(name, attempt.requestDigest(), state);
        if (state.getOutcome() == Outcome.COMMIT && outcome == Outcome.ABORT) {
            LOG.warn("[{}] {} prepared for another request than the one the log committed under that id;"
                    + " rolling it back", name, attempt.attemptId());
        }
        return outcome;
    }

    /**
     * The outcome that applies to a prepare of {@code service} with {@code requestDigest}, given the
     * attempt's state in the log. A logged COMMIT applies only to a prepare that belongs to the logged
     * transaction: this service among its participants (when the log still knows them) and the same
     * request digest. A prepare sent under a reused tid with another request would otherwise ride on
     * the original's COMMIT. Pure: the deterministic simulation of the protocol uses it too.
     */
    public static Outcome outcomeFor(String service, long requestDigest, TxnState state) {
        if (state.getStatus() == TxnStatus.FORGOTTEN) {
            // The attempt ended long ago and every participant of that run finished it: what is still
            // prepared under its id is a stray PREPARE of no run that can commit (its Begin is refused).
            return Outcome.ABORT;
        }
        if (state.getOutcome() != Outcome.COMMIT) {
            return state.getOutcome();
        }
        boolean listed = state.getParticipantsCount() == 0 || state.getParticipantsList().contains(service);
        boolean sameRequest = state.getRequestDigest() == 0 || requestDigest == 0
                || state.getRequestDigest() == requestDigest;
        return listed && sameRequest ? Outcome.COMMIT : Outcome.ABORT;
    }

    private CompletableFuture<Void> apply(String attemptId, Outcome outcome) {
        ParticipantRequest request = switch (outcome) {
            case COMMIT -> ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setAttemptId(attemptId)).build();
            case ABORT -> ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder().setAttemptId(attemptId)).build();
            default -> throw new IllegalStateException(attemptId + ": the log answered " + outcome + " to an ABORT proposal");
        };
        // DEBUG: a partition can leave thousands; finished() logs a summary when the queue drains.
        LOG.debug("[{}] {} was in doubt; the log says {}: applying it", name, attemptId, outcome);
        return engine.submitInternal(request).thenAccept(reply -> {
            if (reply.hasError()) {
                LOG.error("[{}] applying {} to in-doubt {} failed: {}", name, outcome, attemptId, reply.getError().getMessage());
            } else {
                synchronized (lock) {
                    if (outcome == Outcome.COMMIT) {
                        committedSinceIdle++;
                    } else {
                        rolledBackSinceIdle++;
                    }
                }
            }
        });
    }
}
