package io.dtm.participant;

import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.participant.CrashPoint;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Runs a participant: one thread takes every waiting message, applies them in order to the
 * {@link ParticipantCore}, writes everything they changed in one write, and lets their replies go
 * only once that write is synced. That is group commit: concurrent PREPAREs share one fsync, and no
 * reply ever reveals a state that a crash could lose (a duplicate's reply waits for the write of the
 * message it repeats, since it is in the same or a later group).
 *
 * <p>COMMITs and ROLLBACKs get no fsync of their own. A group without a PREPARE is written
 * unsynced, and its replies (and those of every later group) wait until the next fsync: that of
 * the next group with a PREPARE, or a WAL sync at most {@link #SYNC_DEBT_MS} later (RocksDB's WAL
 * is one sequential file, so one sync covers everything written before it). Under load the
 * acknowledgements ride on the PREPAREs' fsyncs; the client is not kept waiting, since it was
 * answered when the decision was logged. Every reply still reveals only durable state. That
 * matters: an acknowledged COMMIT lets the coordinator end the transaction, after which the log
 * keeps its outcome only as long as its retention allows, so a participant must never find itself
 * PREPARED again after acknowledging.
 *
 * <p>The core keeps only bounded caches of its transactions and records and reads the rest back
 * from the store. After each group the engine calls {@link ParticipantCore#endBatch} (which trims
 * the caches) and only then writes the group's batch: nothing reads the core in between, so a
 * record evicted there is back in the store before anyone looks for it.
 *
 * <p>A failed write leaves memory ahead of disk; the process halts rather than answer from it.
 */
final class ParticipantEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ParticipantEngine.class);
    static final int QUEUE_CAPACITY = 1 << 16;
    /** Longest time an unsynced COMMIT or ROLLBACK (and its reply) waits for a WAL sync. */
    static final long SYNC_DEBT_MS = 10;
    /** Exit status of a crash point: what a SIGKILL would give. */
    static final int CRASH_EXIT_STATUS = 137;
    /** The answer to SET_FAULTS on a service started without fault injection; %s: the service. */
    static final String FAULTS_DISABLED = "fault injection is off on %s: it is a test feature, turned on with "
            + "participants.faultInjection: true in the cluster's configuration (./dtm cluster start --fault-injection)";

    private sealed interface Work permits Message, Read {
    }

    /**
     * A message; {@code faulted} ones (protocol messages from the network) meet the injected faults.
     * Its reply is completed on {@code replyOn} (its connection's event loop) when there is one.
     */
    private record Message(ParticipantRequest request, boolean faulted, Executor replyOn,
            CompletableFuture<ParticipantResponse> reply) implements Work {
    }

    /** A look at the core from another thread (in-doubt scan, tests), run in order with the messages. */
    private record Read<T>(Function<ParticipantCore, T> read, CompletableFuture<T> result) implements Work {
        void run(ParticipantCore core) {
            try {
                result.complete(read.apply(core));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }
    }

    private final String name;
    private final ParticipantCore core;
    private final ParticipantStore store;
    private final FaultInjector faults;
    private final LongSupplier clockMs;
    /** Times the sync debt: a monotonic clock in production, a test's own in tests. */
    private final LongSupplier syncClockMs;
    private final int maxBatch;
    private final BlockingQueue<Work> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final ScheduledExecutorService delayedReplies;
    private final Thread thread;
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong writtenMessages = new AtomicLong();
    private final AtomicLong syncs = new AtomicLong();
    /** When (clock ms) the oldest write not yet synced was made, engine thread only; -1 when all are synced. */
    private long unsyncedSinceMs = -1;
    /** Replies held until everything written so far is synced; engine thread only. */
    private final List<Answer> awaitingSync = new ArrayList<>();
    private volatile boolean closed;

    ParticipantEngine(String name, ParticipantCore core, ParticipantStore store, FaultInjector faults,
            LongSupplier clockMs, LongSupplier syncClockMs, int maxBatch) {
        this.name = name;
        this.core = core;
        this.store = store;
        this.faults = faults;
        this.clockMs = clockMs;
        this.syncClockMs = syncClockMs;
        this.maxBatch = maxBatch;
        this.delayedReplies = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-delayed-replies"));
        this.thread = daemon(this::run, name + "-engine");
        thread.start();
    }

    /**
     * A message from the network. Protocol messages meet the faults (drops and unavailable windows
     * never complete); operator requests do not (see {@link #meetsFaults}).
     */
    CompletableFuture<ParticipantResponse> submit(ParticipantRequest request) {
        return enqueue(request, meetsFaults(request), null);
    }

    /**
     * As {@link #submit(ParticipantRequest)}; the reply is completed on {@code replyOn}, the
     * connection's event loop, in one task with the other replies of its group that go there: the
     * replies are written without a hand-off each, and leave in one flush.
     */
    CompletableFuture<ParticipantResponse> submit(ParticipantRequest request, Executor replyOn) {
        return enqueue(request, meetsFaults(request), replyOn);
    }

    /**
     * Whether a request from the network plays the injected faults. The faults stand for a failing
     * service as its coordinators see it, so they apply to the protocol messages (PREPARE, COMMIT,
     * ROLLBACK, QUERY). They never apply to the operator's requests: a SET_FAULTS that a drop rate of 1
     * or an unavailable window swallowed could never lift them, and INSPECT and LIST_TXNS are how
     * an operator or a test harness looks at the service while (or after) it misbehaves, which a
     * 30-second injected latency or a dropped read would only hide. The process being really down
     * still shows: those requests then time out like any other.
     */
    static boolean meetsFaults(ParticipantRequest request) {
        return switch (request.getBodyCase()) {
            case SET_FAULTS, INSPECT, LIST_TXNS -> false;
            case PREPARE, COMMIT, ROLLBACK, QUERY, BODY_NOT_SET -> true;
        };
    }

    /** A message from inside the process (the in-doubt resolver): no faults. */
    CompletableFuture<ParticipantResponse> submitInternal(ParticipantRequest request) {
        return enqueue(request, false, null);
    }

    <T> CompletableFuture<T> read(Function<ParticipantCore, T> read) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed || !queue.offer(new Read<>(read, result))) {
            result.completeExceptionally(new IOException(name + " is closed or overloaded"));
        }
        return result;
    }

    /** Writes so far and the messages they carried: their ratio is the group-commit factor. */
    long writes() {
        return writes.get();
    }

    /** Fsyncs so far: synced writes and WAL syncs of unsynced ones. */
    long syncs() {
        return syncs.get();
    }

    long writtenMessages() {
        return writtenMessages.get();
    }

    private CompletableFuture<ParticipantResponse> enqueue(ParticipantRequest request, boolean faulted,
            Executor replyOn) {
        CompletableFuture<ParticipantResponse> reply = new CompletableFuture<>();
        if (closed) {
            reply.complete(error(request, ErrorCode.UNAVAILABLE, name + " is shutting down"));
        } else if (!queue.offer(new Message(request, faulted, replyOn, reply))) {
            reply.complete(error(request, ErrorCode.OVERLOADED, name + ": " + QUEUE_CAPACITY + " requests already wait"));
        }
        return reply;
    }

    private void run() {
        List<Work> group = new ArrayList<>();
        try {
            while (!closed) {
                Work first = queue.poll(pollNanos(), TimeUnit.NANOSECONDS);
                if (first == null) {
                    syncIfDue();
                    continue;
                }
                group.add(first);
                queue.drainTo(group, maxBatch - 1);
                process(group);
                group.clear();
                syncIfDue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (unsyncedSinceMs >= 0) {
                sync();
            }
            List<Work> left = new ArrayList<>(group);
            queue.drainTo(left);
            for (Work w : left) {
                if (w instanceof Message m) {
                    m.reply.complete(error(m.request, ErrorCode.UNAVAILABLE, name + " is shutting down"));
                } else if (w instanceof Read<?> r) {
                    r.result.completeExceptionally(new IOException(name + " is shutting down"));
                }
            }
        }
    }

    private record Answer(Message message, ParticipantResponse response) {
        void send() {
            message.reply.complete(response);
        }
    }

    /** How long to wait for work: until an unsynced write is due for its sync, else a while. */
    private long pollNanos() {
        long waitMs = unsyncedSinceMs < 0 ? 100 : Math.max(0, unsyncedSinceMs + SYNC_DEBT_MS - syncClockMs.getAsLong());
        return TimeUnit.MILLISECONDS.toNanos(Math.min(100, waitMs));
    }

    private void syncIfDue() {
        if (unsyncedSinceMs >= 0 && syncClockMs.getAsLong() >= unsyncedSinceMs + SYNC_DEBT_MS) {
            sync();
        }
    }

    private void sync() {
        try {
            store.syncWal();
            syncs.incrementAndGet();
            unsyncedSinceMs = -1;
        } catch (IOException | RuntimeException e) {
            LOG.error("[{}] cannot sync committed outcomes to disk; halting", name, e);
            Runtime.getRuntime().halt(70);
        }
        releaseAwaiting();
    }

    /** Sends the held replies: everything they reveal is now durable. */
    private void releaseAwaiting() {
        Map<Executor, List<Answer>> byLoop = new IdentityHashMap<>();
        for (Answer a : awaitingSync) {
            long delay = a.message.faulted ? faults.latencyMs() : 0;
            if (delay > 0) {
                delayedReplies.schedule(a::send, delay, TimeUnit.MILLISECONDS);
            } else if (a.message.replyOn == null) {
                a.send();
            } else {
                byLoop.computeIfAbsent(a.message.replyOn, loop -> new ArrayList<>()).add(a);
            }
        }
        awaitingSync.clear();
        byLoop.forEach((loop, answers) -> {
            try {
                loop.execute(() -> answers.forEach(Answer::send));
            } catch (RejectedExecutionException e) {
                answers.forEach(Answer::send); // the connection is closing: its writes fail either way
            }
        });
    }

    private void process(List<Work> group) {
        long now = clockMs.getAsLong();
        List<Answer> answers = new ArrayList<>(group.size());
        int changing = 0;
        boolean mustSync = false;
        try {
            ParticipantStore.Batch batch = new ParticipantStore.Batch();
            for (Work work : group) {
                if (work instanceof Read<?> read) {
                    read.run(core);
                    continue;
                }
                Message m = (Message) work;
                if (m.faulted && faults.silent(now)) {
                    continue; // dropped: the caller times out, as with a lost packet
                }
                if (m.request.hasSetFaults() && !faults.enabled()) {
                    LOG.warn("[{}] SET_FAULTS refused: fault injection is off", name);
                    answers.add(new Answer(m, ParticipantResponse.newBuilder().setRequestId(m.request.getRequestId())
                            .setError(ErrorCode.DISABLED.toProto(FAULTS_DISABLED.formatted(name))).build()));
                    continue;
                }
                if (m.request.hasSetFaults()) {
                    faults.set(m.request.getSetFaults().getFaults());
                    LOG.warn("[{}] fault injection set to: {}", name, oneLine(faults.current()));
                    answers.add(new Answer(m, ParticipantResponse.newBuilder().setRequestId(m.request.getRequestId())
                            .setFaults(faults.current()).build()));
                    continue;
                }
                if (m.request.hasPrepare() && faults.crashNow(CrashPoint.BEFORE_PREPARE)) {
                    crash(CrashPoint.BEFORE_PREPARE);
                }
                boolean forceNo = m.faulted && m.request.hasPrepare() && faults.forceNo();
                ParticipantResponse response = core.handle(m.request, now, forceNo, batch);
                if (response.hasInspect()) {
                    response = response.toBuilder().setInspect(response.getInspect().toBuilder()
                            .setWrites(writes.get()).setWrittenMessages(writtenMessages.get()).setFsyncs(syncs.get())).build();
                }
                answers.add(new Answer(m, response));
                if (m.request.hasPrepare() || m.request.hasCommit() || m.request.hasRollback()) {
                    changing++;
                }
                mustSync |= m.request.hasPrepare();
            }
            // The boundary may evict what this batch changed: safe, since nothing reads the core
            // before the batch is in the store (the write comes next; reads are work of this thread).
            core.endBatch(batch);
            if (!batch.isEmpty()) {
                store.write(batch, mustSync);
                writes.incrementAndGet();
                writtenMessages.addAndGet(changing);
                if (mustSync) {
                    syncs.incrementAndGet();
                    unsyncedSinceMs = -1;
                } else if (unsyncedSinceMs < 0) {
                    unsyncedSinceMs = syncClockMs.getAsLong();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Memory already holds what the disk may not: answering from it could lie. Stop.
            LOG.error("[{}] cannot make a batch durable; halting so that no reply reveals an unsaved state", name, e);
            Runtime.getRuntime().halt(70);
        }
        crashAfterPersisting(answers);
        awaitingSync.addAll(answers);
        if (unsyncedSinceMs < 0) {
            releaseAwaiting();
        }
    }

    private void crashAfterPersisting(List<Answer> answers) {
        if (!faults.crashArmed()) {
            return;
        }
        boolean voteYes = answers.stream().anyMatch(a -> a.response.hasVote() && a.response.getVote().getYes());
        boolean committed = answers.stream().anyMatch(a -> a.message.request.hasCommit() && a.response.hasAck()
                && a.response.getAck().getState() == LocalState.COMMITTED);
        if (voteYes && faults.crashNow(CrashPoint.AFTER_VOTE_PERSISTED)) {
            crash(CrashPoint.AFTER_VOTE_PERSISTED);
        }
        if (committed && faults.crashNow(CrashPoint.AFTER_COMMIT_PERSISTED)) {
            crash(CrashPoint.AFTER_COMMIT_PERSISTED);
        }
    }

    private void crash(CrashPoint point) {
        LOG.warn("[{}] fault injection: crash point {} reached; halting with status {}", name, point, CRASH_EXIT_STATUS);
        Runtime.getRuntime().halt(CRASH_EXIT_STATUS);
    }

    private static ParticipantResponse error(ParticipantRequest request, ErrorCode code, String message) {
        return ParticipantResponse.newBuilder().setRequestId(request.getRequestId()).setError(code.toProto(message)).build();
    }

    private static String oneLine(Object message) {
        String text = message.toString().replace('\n', ' ').trim();
        return text.isEmpty() ? "none" : text;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        delayedReplies.shutdownNow();
    }
}
