package io.dtm.log;

import io.dtm.config.GroupCommitConfig;
import io.dtm.protocol.log.BatchResult;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Group commit toward one Raft group: records from many concurrent callers are gathered into one
 * Raft entry, and each caller's future completes with its own record's result.
 *
 * <p>One thread forms batches. When no batch is in flight it sends whatever is queued at once, so
 * an idle log adds no delay; while batches are in flight it waits up to {@code maxDelayMicros} for
 * a batch to fill to {@code maxRecords}. At most {@code maxOutstandingBatches} entries are in
 * flight; while that bound holds the thread back, records pile up and the next entry carries
 * more of them. That is where the throughput comes from: Raft's cost is per entry, not per record.
 *
 * <p>A failed send fails every record of its batch: the records may or may not have been applied,
 * and the caller retries them (every record is idempotent by tid).
 */
final class RecordBatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RecordBatcher.class);
    /** Records waiting for a batch; past this the log is overloaded and callers hear so at once. */
    static final int QUEUE_CAPACITY = 1 << 16;

    private record Pending(TxnRecord record, CompletableFuture<RecordResult> future) {
    }

    /** Sends one Raft entry to the group's leader; the reply carries the entry's {@link BatchResult}. */
    @FunctionalInterface
    interface EntrySender {
        CompletableFuture<RaftClientReply> send(Message entry);
    }

    private final String name;
    private final EntrySender sender;
    private final int maxRecords;
    private final long maxDelayNanos;
    private final int maxOutstanding;
    private final LongSupplier clockMs;
    private final String nodeId;
    private final long proposerTerm;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Semaphore outstanding;
    private final Thread thread;
    private final AtomicLong batchesSent = new AtomicLong();
    private final AtomicLong recordsSent = new AtomicLong();
    private volatile boolean closed;

    /**
     * @param clockMs      this process's clock, read when a batch is sealed
     * @param nodeId       the cluster node this process is, stamped on every batch with the clock
     *                     reading ("" for a process that is no node: its readings do not count)
     * @param proposerTerm the coordinator's Raft term, stamped on every batch (0: not a coordinator)
     */
    RecordBatcher(String name, EntrySender sender, GroupCommitConfig config, LongSupplier clockMs, String nodeId,
            long proposerTerm) {
        this.name = name;
        this.nodeId = nodeId;
        this.proposerTerm = proposerTerm;
        this.sender = sender;
        this.maxRecords = config.maxRecords();
        this.maxDelayNanos = TimeUnit.MICROSECONDS.toNanos(config.maxDelayMicros());
        this.maxOutstanding = config.maxOutstandingBatches();
        this.outstanding = new Semaphore(maxOutstanding);
        this.clockMs = clockMs;
        this.thread = new Thread(this::run, name);
        this.thread.setDaemon(true);
        this.thread.start();
    }

    CompletableFuture<RecordResult> submit(TxnRecord record) {
        if (closed) {
            return CompletableFuture.failedFuture(new IOException(name + " is closed"));
        }
        Pending pending = new Pending(record, new CompletableFuture<>());
        if (!queue.offer(pending)) {
            return CompletableFuture.failedFuture(new LogOverloadedException(
                    name + ": " + QUEUE_CAPACITY + " records already wait for the log"));
        }
        return pending.future;
    }

    long batchesSent() {
        return batchesSent.get();
    }

    long recordsSent() {
        return recordsSent.get();
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        try {
            while (!closed) {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                // Wait for a slot first: while we wait, the queue fills and the next entry carries more.
                outstanding.acquire();
                fill(batch);
                send(batch);
                batch = new ArrayList<>();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("{}: batching thread failed", name, e);
        } finally {
            IOException closedError = new IOException(name + " is closed");
            fail(batch, closedError);
            failQueued(closedError);
        }
    }

    private void fill(List<Pending> batch) throws InterruptedException {
        long lingerUntil = System.nanoTime() + maxDelayNanos;
        while (batch.size() < maxRecords) {
            Pending next = queue.poll();
            if (next == null) {
                // Nothing else in flight (we hold the only permit): waiting would only add latency.
                boolean othersInFlight = outstanding.availablePermits() < maxOutstanding - 1;
                long waitNanos = lingerUntil - System.nanoTime();
                if (!othersInFlight || waitNanos <= 0) {
                    return;
                }
                next = queue.poll(waitNanos, TimeUnit.NANOSECONDS);
                if (next == null) {
                    return;
                }
            }
            batch.add(next);
        }
    }

    private void send(List<Pending> batch) {
        RecordBatch.Builder entry = RecordBatch.newBuilder().setTimestampMs(clockMs.getAsLong()).setNodeId(nodeId)
                .setProposerTerm(proposerTerm);
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
            outstanding.release();
            fail(batch, e);
            return;
        }
        reply.whenComplete((r, error) -> {
            outstanding.release();
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
        queue.drainTo(left);
        fail(left, error);
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failQueued(new IOException(name + " is closed"));
    }
}
