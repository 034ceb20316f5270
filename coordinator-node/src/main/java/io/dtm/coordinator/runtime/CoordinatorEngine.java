package io.dtm.coordinator.runtime;

import io.dtm.coordinator.admin.NodeMetrics;
import io.dtm.coordinator.core.Action;
import io.dtm.coordinator.core.CoordinatorCore;
import io.dtm.coordinator.core.Violation;
import io.dtm.coordinator.core.TxnRequest;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.SubmitResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Runs a {@link CoordinatorCore} for one leadership term: one thread applies every event to the
 * core (so the core needs no locks) and carries out its actions asynchronously — log appends
 * through the term's fenced appender, messages to the participants over one shared connection per
 * service — feeding each result back as a new event. No thread per transaction, nothing blocks.
 *
 * <p>It reaches the world only through {@link EngineLog}, {@link EngineParticipants}, an
 * {@link EngineThread} and a clock, so the same code runs in a node and in the simulation, which
 * gives it a simulated log, network and clock.
 *
 * <p>In a node, that thread is the event loop of the participant connections. Eight of the eleven
 * events of a four-service transaction are participant answers, and they arrive on it; the PREPAREs
 * and COMMITs the core sends are written from it without a hand-off. A thread of its own cost two
 * hand-offs per message, each a possible wake-up of a parked thread (async-profiler had a fifth of
 * the leader's CPU in context switches).
 *
 * <p>Created when this node becomes leader (after recovery of what the log holds in flight) and
 * closed when it stops leading: every client still waiting is told NOT_LEADER, and the next leader
 * finishes the transactions from the log. Before a planned move of leadership it drains
 * ({@link HandOver}). Its calls out are {@link EngineCalls}.
 */
public final class CoordinatorEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorEngine.class);

    /** The engine stopped: this node is no longer the leader of its term. */
    public static final class NotLeaderException extends RuntimeException {
        NotLeaderException(String message) {
            super(message);
        }
    }

    private final String nodeId;
    private final long term;
    private final CoordinatorCore core;
    private final EngineLog log;
    private final EngineParticipants participants;
    private final NodeMetrics metrics;
    private final LongSupplier clockMs;
    private final Consumer<String> onDeposed;
    /** Runs every event; in a node shared with the participant connections, so never blocked nor shut down here. */
    private final EngineThread thread;
    private final Map<String, List<CompletableFuture<SubmitResult>>> waiters = new HashMap<>();
    private final Map<String, Long> startedNanos = new HashMap<>();
    /** Submissions held at most while handing the group over (more hear NOT_LEADER). */
    private static final int MAX_HELD = 10_000;
    private final HandOver handOver;
    private final EngineCalls calls;
    /** The core's open invariant violations, copied out on the engine's thread whenever they change. */
    private volatile List<Violation> violations = List.of();
    private int violationsVersion;
    private EngineThread.Cancellable wakeup;
    private long wakeupAtMs = Long.MAX_VALUE;
    private volatile boolean closed;

    /**
     * @param log       appends of this term and reads
     * @param onDeposed called (on the engine's thread) when the log fenced a record of this term:
     *                  another leader took over, and this engine must be closed
     */
    public CoordinatorEngine(String nodeId, long term, CoordinatorCore core, EngineLog log,
            EngineParticipants participants, EngineThread thread, NodeMetrics metrics, LongSupplier clockMs,
            Consumer<String> onDeposed) {
        this(nodeId, term, core, log, participants, thread, metrics, clockMs, onDeposed, Breakage.NONE);
    }

    /** {@code breakage}: a deliberate bug, for testing the test harness ({@link Breakage#NONE} otherwise). */
    public CoordinatorEngine(String nodeId, long term, CoordinatorCore core, EngineLog log,
            EngineParticipants participants, EngineThread thread, NodeMetrics metrics, LongSupplier clockMs,
            Consumer<String> onDeposed, Breakage breakage) {
        this.nodeId = nodeId;
        this.term = term;
        this.core = core;
        this.log = log;
        this.participants = participants;
        this.metrics = metrics;
        this.clockMs = clockMs;
        this.onDeposed = onDeposed;
        this.thread = thread;
        this.handOver = new HandOver(thread, MAX_HELD);
        this.calls = new EngineCalls(core, log, participants, thread, metrics, clockMs, breakage, this::on);
    }

    public long term() {
        return term;
    }

    /** Takes over what the log holds in flight; the engine accepts submissions once this has run. */
    public void recover(List<TxnState> inFlight) {
        on(() -> {
            if (!inFlight.isEmpty()) {
                LOG.info("[{}] term {}: taking over {} attempt(s) in flight", nodeId, term, inFlight.size());
            }
            return core.recover(inFlight, clockMs.getAsLong());
        });
    }

    /**
     * Runs a validated request; the future completes with its outcome (or NOT_LEADER if this node
     * stops leading). While the engine hands its group over, the request waits for the outcome of
     * that ({@link #prepareHandOver}).
     */
    public CompletableFuture<SubmitResult> submit(TxnRequest request) {
        CompletableFuture<SubmitResult> answer = new CompletableFuture<>();
        if (!execute(() -> {
            if (!handOver.hold(request, answer, () -> answer.completeExceptionally(
                    new NotLeaderException(nodeId + " is handing its log group over")))) {
                submitNow(request, answer);
            }
        })) {
            answer.completeExceptionally(new NotLeaderException(nodeId + " stopped coordinating"));
        }
        return answer;
    }

    /**
     * Before its group's leadership is handed to another member: stops starting transactions
     * (submissions wait) and completes true once every transaction it runs has its decision in the
     * log and every waiting client its answer, so the next leader aborts nothing; false if that
     * takes more than {@code maxWaitMs}, and the engine goes on as before. After true, the engine
     * keeps holding submissions until {@link #handOverEnded}, or at most {@code maxHoldMs}.
     */
    public CompletableFuture<Boolean> prepareHandOver(long maxWaitMs, long maxHoldMs) {
        CompletableFuture<Boolean> ready = new CompletableFuture<>();
        if (!execute(() -> handOver.begin(ready, maxWaitMs, maxHoldMs, this::drained, this::resumeHeld))) {
            ready.complete(false);
        }
        return ready;
    }

    /**
     * The hand-over ended: {@code transferred}, and this engine is about to be closed (its held
     * submissions hear NOT_LEADER then), or not, and it serves them now.
     */
    public void handOverEnded(boolean transferred) {
        if (!transferred) {
            execute(this::resumeHeld);
        }
    }

    /** Whether nothing this engine runs could be aborted by a change of leader. */
    private boolean drained() {
        return waiters.isEmpty() && core.undecided() == 0;
    }

    private void resumeHeld() {
        handOver.release().forEach(h -> submitNow(h.request(), h.answer()));
    }

    private void submitNow(TxnRequest request, CompletableFuture<SubmitResult> answer) {
        metrics.submitted();
        CoordinatorCore.Submitted submitted = core.submit(request, clockMs.getAsLong());
        if (submitted instanceof CoordinatorCore.Answered answered) {
            if (answered.overloaded()) {
                metrics.overloaded();
            }
            answer.complete(answered.result());
            return;
        }
        waiters.computeIfAbsent(request.tid(), t -> new ArrayList<>()).add(answer);
        if (submitted instanceof CoordinatorCore.Started started) {
            startedNanos.put(request.tid(), System.nanoTime());
            run(started.actions());
        }
    }

    // ------------------------------------------------------------------ carrying out actions

    private void run(List<Action> actions) {
        for (Action action : actions) {
            if (action instanceof Action.Append a) {
                calls.append(a.attemptId(), a.record());
            } else if (action instanceof Action.SendPrepare p) {
                calls.prepare(p.service(), p.prepare());
            } else if (action instanceof Action.SendCommit c) {
                calls.phase2(c.service(), c.attemptId(), true, false, 0);
            } else if (action instanceof Action.SendRollback r) {
                calls.phase2(r.service(), r.attemptId(), false, r.fence(), r.runId());
            } else if (action instanceof Action.ReadLog r) {
                calls.readLog(r.attemptId());
            } else if (action instanceof Action.Reply r) {
                reply(r);
            } else if (action instanceof Action.Deposed d) {
                LOG.warn("[{}] term {}: the log fenced this coordinator ({}); stepping down", nodeId, term, d.detail());
                onDeposed.accept(d.detail());
            } else if (action instanceof Action.Alarm a) {
                metrics.invariantViolated();
                LOG.error("[{}] INVARIANT VIOLATED: {}: {}", nodeId, a.attemptId(), a.message());
            }
        }
        if (core.violationsVersion() != violationsVersion) {
            violationsVersion = core.violationsVersion();
            violations = core.violations();
        }
        handOver.check(this::drained);
        scheduleWakeup();
    }

    private void reply(Action.Reply reply) {
        SubmitResult result = reply.result();
        switch (result.getStatus()) {
            case COMMITTED -> metrics.committed();
            case ABORTED -> metrics.aborted(reply.abortKind().isEmpty() ? "OTHER" : reply.abortKind());
            case REJECTED -> metrics.rejected();
            default -> {
            }
        }
        Long started = startedNanos.remove(reply.tid());
        if (started != null) {
            metrics.transactionLatency(System.nanoTime() - started);
        }
        List<CompletableFuture<SubmitResult>> waiting = waiters.remove(reply.tid());
        if (waiting != null) {
            waiting.forEach(w -> w.complete(result));
        }
    }

    // ------------------------------------------------------------------ the engine's thread

    /** Applies an event on the engine's thread and carries out what the core asks for. */
    private void on(Supplier<List<Action>> event) {
        execute(() -> run(event.get()));
    }

    private boolean execute(Runnable task) {
        if (closed) {
            return false;
        }
        try {
            thread.execute(() -> {
                if (closed) {
                    return;
                }
                try {
                    task.run();
                } catch (RuntimeException e) {
                    // A bug in the core must not kill the thread that every transaction depends on.
                    LOG.error("[{}] term {}: coordinator event failed", nodeId, term, e);
                }
            });
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void scheduleWakeup() {
        long next = core.nextWakeupMs();
        if (next == Long.MAX_VALUE || next >= wakeupAtMs) {
            return;
        }
        if (wakeup != null) {
            wakeup.cancel();
        }
        wakeupAtMs = next;
        long delay = Math.max(0, next - clockMs.getAsLong());
        wakeup = thread.schedule(() -> {
            wakeupAtMs = Long.MAX_VALUE;
            wakeup = null;
            if (!closed) {
                try {
                    run(core.tick(clockMs.getAsLong()));
                } catch (RuntimeException e) {
                    LOG.error("[{}] term {}: coordinator timers failed", nodeId, term, e);
                }
            }
        }, delay);
    }

    /**
     * Appends an in-doubt participant's ABORT proposal with this term's appender: the log takes
     * records only from its leader's own path, and a proposal that outlives this term is fenced.
     * The core is not told: if it runs the attempt, its own Decide meets the outcome that stands
     * (the first decision logged wins). Safe from any thread.
     */
    public CompletableFuture<RecordResult> proposeAbort(String attemptId, String reason, String proposer) {
        if (closed) {
            return CompletableFuture.failedFuture(new NotLeaderException(nodeId + " stopped coordinating"));
        }
        return log.append(LogRecords.decide(attemptId, Outcome.ABORT, reason, proposer));
    }

    /** Whether this engine still coordinates (not yet closed: its term's leadership holds, as far as it knows). */
    public boolean isOpen() {
        return !closed;
    }

    public int inFlight() {
        return core.inFlight();
    }

    /** Up to {@code max} transactions this engine holds, with where each stands (read racily: for reports). */
    public List<String> describeInFlight(int max) {
        return core.describeInFlight(max);
    }

    public int phase2Backlog() {
        return core.phase2Backlog();
    }

    /** Participants contradicting the log about attempts this engine runs (safe from any thread). */
    public List<Violation> violations() {
        return violations;
    }


    /** Stops coordinating: every waiting client hears NOT_LEADER; the next leader finishes from the log. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        CompletableFuture<Void> drained = new CompletableFuture<>();
        Runnable drain = () -> {
            closed = true;
            if (wakeup != null) {
                wakeup.cancel();
            }
            NotLeaderException notLeader = new NotLeaderException(nodeId + " is no longer the leader (term " + term + ")");
            waiters.values().forEach(list -> list.forEach(w -> w.completeExceptionally(notLeader)));
            waiters.clear();
            handOver.release().forEach(h -> h.answer().completeExceptionally(notLeader));
            drained.complete(null);
        };
        try {
            if (thread.inThread()) {
                drain.run();
            } else {
                thread.execute(drain);
                drained.get(5, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            closed = true;
        }
        log.close();
    }
}
