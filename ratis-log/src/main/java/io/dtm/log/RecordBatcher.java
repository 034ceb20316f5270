package io.dtm.log;

import io.dtm.config.GroupCommitConfig;
import io.dtm.protocol.log.BatchResult;
import io.dtm.log.raft.ClockStamp;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Group commit toward one Raft group: records from many concurrent callers are gathered into one
 * Raft entry, and each caller's future completes with its own record's result.
 *
 * <p>One thread forms batches; {@link BatchGate} says when one leaves: at once on an idle log, else
 * as soon as the batch ahead is answered (End records never hold a Begin or a Decide back), with no
 * timer on a transaction's path, so the batch size follows the load: Raft's cost is per entry, not
 * per record, and under load each entry carries what arrived during the previous one's round trip.
 * The one timer is the End records' linger ({@link #BACKGROUND_LINGER_NANOS}).
 *
 * <p>A failed send fails every record of its batch: the records may or may not have been applied,
 * and the caller retries them (every record is idempotent by attempt id).
 */
final class RecordBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecordBatcher.class);
    /** Records waiting for a batch; past this the log is overloaded and callers hear so at once. */
    static final int QUEUE_CAPACITY = 1 << 16;

    /**
     * How long an End waits, with nothing in flight, for an urgent batch to ride in before it
     * leaves alone ({@link BatchGate}). Only when the coordinator forgets a finished attempt waits
     * for it, never an answer; 20 ms is far longer than a client takes to send its next transaction.
     */
    static final long BACKGROUND_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /** @param sinceNanos when it was submitted, by {@link System#nanoTime()} */
    private record Pending(TxnRecord record, CompletableFuture<RecordResult> future, long sinceNanos) {
    }

    /**
     * What every batch of a batcher says about its records: proposed by the leader of a term (its
     * coordinator and in-doubt resolver), or a probe, applied to nothing (see {@code RecordBatch}).
     */
    record Stamp(long proposerTerm, boolean probe) {
        static Stamp leader(long term) {
            if (term <= 0) {
                throw new IllegalArgumentException("a leader's term is positive, got " + term);
            }
            return new Stamp(term, false);
        }

        static final Stamp PROBE = new Stamp(0, true);
    }

    /** Sends one Raft entry to the group's leader; the reply carries the entry's {@link BatchResult}. */
    @FunctionalInterface
    interface EntrySender {
        CompletableFuture<RaftClientReply> send(Message entry);
    }

    private final String name;
    private final EntrySender sender;
    private final LongSupplier clockMs;
    private final String nodeId;
    private final Stamp stamp;
    /** Guards the two queues and the gate; {@code changed} wakes the thread when a batch may leave. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Pending> urgent = new ArrayDeque<>();
    private final ArrayDeque<Pending> background = new ArrayDeque<>();
    private final BatchGate gate;
    private final Thread thread;
    private final AtomicLong batchesSent = new AtomicLong();
    private final AtomicLong recordsSent = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param clockMs      this process's clock, read when a batch is sealed
     * @param nodeId       the cluster node this process is, stamped on every batch with the clock
     *                     reading ("" for a process that is no node: its readings do not count)
     * @param stamp        the proposer's Raft term, or that its batches are probes, stamped on every batch
     */
    RecordBatcher(String name, EntrySender sender, GroupCommitConfig config, LongSupplier clockMs, String nodeId,
            Stamp stamp) {
        this.name = name;
        this.nodeId = nodeId;
        this.stamp = stamp;
        this.sender = sender;
        this.gate = new BatchGate(config.maxRecords(), config.maxOutstandingBatches(), BACKGROUND_LINGER_NANOS);
        this.clockMs = clockMs;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    CompletableFuture<RecordResult> submit(TxnRecord record) {
        Pending pending = new Pending(record, new CompletableFuture<>(), System.nanoTime());
        lock.lock();
        try {
            if (closed) {
                return CompletableFuture.failedFuture(new IOException(name + " is closed"));
            }
            if (urgent.size() + background.size() >= QUEUE_CAPACITY) {
                return CompletableFuture.failedFuture(new LogOverloadedException(
                        name + ": " + QUEUE_CAPACITY + " records already wait for the log"));
            }
            (isUrgent(record) ? urgent : background).add(pending);
            wakeIfItMatters();
        } finally {
            lock.unlock();
        }
        return pending.future;
    }

    /** Begin and Decide: a transaction waits for them. End only frees memory (see {@link BatchGate}). */
    private static boolean isUrgent(TxnRecord record) {
        return record.getRecordCase() != TxnRecord.RecordCase.END;
    }

    long batchesSent() {
        return batchesSent.get();
    }

    long recordsSent() {
        return recordsSent.get();
    }

    private void run() {
        try {
            while (true) {
                List<Pending> batch;
                boolean hasUrgent;
                lock.lock();
                try {
                    while (!closed) {
                        long waited = backgroundWaitedNanos();
                        if (gate.mayLeave(urgent.size(), background.size(), waited)) {
                            break;
                        }
                        long sleep = gate.nanosUntilDue(urgent.size(), background.size(), waited);
                        if (sleep == Long.MAX_VALUE) {
                            changed.await();
                        } else {
                            changed.awaitNanos(sleep);
                        }
                    }
                    if (closed) {
                        return;
                    }
                    hasUrgent = !urgent.isEmpty();
                    batch = take();
                    gate.sent(hasUrgent);
                } finally {
                    lock.unlock();
                }
                send(batch, hasUrgent);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("{}: batching thread failed", name, e);
        } finally {
            failQueued(new IOException(name + " is closed"));
        }
    }

    /** Up to maxRecords waiting records, the urgent ones first; under the lock. */
    private List<Pending> take() {
        int size = Math.min(gate.maxRecords(), urgent.size() + background.size());
        List<Pending> batch = new ArrayList<>(size);
        while (batch.size() < size && !urgent.isEmpty()) {
            batch.add(urgent.poll());
        }
        while (batch.size() < size) {
            batch.add(background.poll());
        }
        return batch;
    }

    private void answered(boolean hasUrgent) {
        lock.lock();
        try {
            gate.answered(hasUrgent);
            wakeIfItMatters();
        } finally {
            lock.unlock();
        }
    }

    /** How long the oldest waiting background record has waited; under the lock. */
    private long backgroundWaitedNanos() {
        Pending oldest = background.peek();
        return oldest == null ? 0 : System.nanoTime() - oldest.sinceNanos;
    }

    /** Wakes the batching thread when a batch may leave, or its linger timer must start; under the lock. */
    private void wakeIfItMatters() {
        long waited = backgroundWaitedNanos();
        if (gate.mayLeave(urgent.size(), background.size(), waited)
                || gate.nanosUntilDue(urgent.size(), background.size(), waited) != Long.MAX_VALUE) {
            changed.signal();
        }
    }

    private void send(List<Pending> batch, boolean hasUrgent) {
        RecordBatch.Builder entry = ClockStamp.stamp(RecordBatch.newBuilder(), nodeId, clockMs)
                .setProposerTerm(stamp.proposerTerm()).setProbe(stamp.probe());
        for (Pending p : batch) {
            entry.addRecords(p.record);
        }
        batchesSent.incrementAndGet();
        recordsSent.addAndGet(batch.size());
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry.build().toByteArray()));
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = sender.send(message);
        } catch (RuntimeException e) {
            answered(hasUrgent);
            fail(batch, e);
            return;
        }
        reply.whenComplete((r, error) -> {
            answered(hasUrgent);
            if (error != null) {
                fail(batch, error);
            } else {
                complete(batch, r);
            }
        });
    }

    private void complete(List<Pending> batch, RaftClientReply reply) {
        if (!reply.isSuccess()) {
            fail(batch, reply.getException() != null ? reply.getException() : new IOException("Raft append failed: " + reply));
            return;
        }
        BatchResult result;
        try {
            result = BatchResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            fail(batch, e);
            return;
        }
        if (result.getResultsCount() != batch.size()) {
            fail(batch, new IOException("log answered " + result.getResultsCount() + " results for " + batch.size() + " records"));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).future.complete(result.getResults(i));
        }
    }

    private static void fail(List<Pending> batch, Throwable error) {
        for (Pending p : batch) {
            p.future.completeExceptionally(error);
        }
    }

    private void failQueued(Throwable error) {
        List<Pending> left = new ArrayList<>();
        lock.lock();
        try {
            left.addAll(urgent);
            left.addAll(background);
            urgent.clear();
            background.clear();
        } finally {
            lock.unlock();
        }
        fail(left, error);
    }

    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued(new IOException(name + " is closed"));
    }
}
