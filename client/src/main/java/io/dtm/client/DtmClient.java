package io.dtm.client;

import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The client applications embed: submit a transaction, get its final outcome.
 *
 * <p>Finds the leader from any node and follows NOT_LEADER; on a lost connection, a timeout or no
 * leader, it submits the same tid again — to another node when needed — until the outcome is known
 * or the caller's deadline passes. That is safe because submit is idempotent: the same tid returns
 * its outcome, or joins it while it runs. When the deadline passes first, the answer is UNKNOWN,
 * never a guess.
 *
 * <p>Asynchronous and thread-safe: many submissions in flight over one connection per node.
 */
public final class DtmClient implements AutoCloseable {
    private final List<NodeConfig> nodes;
    private final DtmConnections connections;
    private final Duration deadline;
    private final int maxInFlight;
    /** Submissions waiting for one of the {@code maxInFlight} places; guarded by {@code this}. */
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    /** Every submission not yet complete, so that closing can answer them all. */
    private final Set<Waiting> pending = ConcurrentHashMap.newKeySet();
    private boolean closed;
    private int inFlight;
    private final AtomicReferenceArray<CompletableFuture<NodeClient>> clients;
    /** The node believed to lead; requests go there first. */
    private final AtomicInteger leader = new AtomicInteger();
    private final Timer timer = new HashedWheelTimer(r -> {
        Thread t = new Thread(r, "dtm-client-retries");
        t.setDaemon(true);
        return t;
    }, 10, TimeUnit.MILLISECONDS);

    /**
     * @param requestTimeout how long one request to one node may take (longer than a transaction's
     *                       own deadline, so that a slow transaction is not asked for twice)
     * @param deadline       how long a submission may take in all, retries included
     */
    public DtmClient(ClusterConfig config, Duration requestTimeout, Duration deadline) {
        this(config, requestTimeout, deadline, Integer.MAX_VALUE);
    }

    /**
     * @param maxInFlight submissions running at once; more wait their turn in submission order (their
     *                    deadline counts from when they start)
     */
    public DtmClient(ClusterConfig config, Duration requestTimeout, Duration deadline, int maxInFlight) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        this.nodes = config.nodes();
        this.connections = new DtmConnections(requestTimeout);
        this.deadline = deadline;
        this.maxInFlight = maxInFlight;
        this.clients = new AtomicReferenceArray<>(nodes.size());
    }

    /** A submission waiting for a place among the {@code maxInFlight}. */
    private record Waiting(SubmitRequest request, CompletableFuture<SubmitResult> result) {
    }

    /**
     * The final outcome of the transaction: COMMITTED, ABORTED, REJECTED, or UNKNOWN past the
     * deadline. Fails only when the cluster refused the request itself (a {@link RemoteException}
     * that retrying cannot change) or the client was closed first.
     */
    public CompletableFuture<SubmitResult> submit(SubmitRequest request) {
        CompletableFuture<SubmitResult> result = new CompletableFuture<>();
        Waiting submission = new Waiting(request, result);
        boolean now;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("DtmClient is closed"));
            }
            now = inFlight < maxInFlight;
            if (now) {
                inFlight++;
            } else {
                waiting.add(submission);
            }
        }
        pending.add(submission);
        result.whenComplete((r, e) -> {
            pending.remove(submission);
            startNext();
        });
        if (now) {
            start(request, result);
        }
        return result;
    }

    private void start(SubmitRequest request, CompletableFuture<SubmitResult> result) {
        attempt(request, leader.get(), System.nanoTime() + deadline.toNanos(), 0, "", result);
    }

    private void startNext() {
        Waiting next;
        synchronized (this) {
            next = closed ? null : waiting.poll();
            if (next == null) {
                inFlight--;
            }
        }
        if (next != null) {
            start(next.request(), next.result());
        }
    }

    private void attempt(SubmitRequest request, int nodeIndex, long deadlineNanos, int tries, String lastError,
            CompletableFuture<SubmitResult> result) {
        if (System.nanoTime() >= deadlineNanos) {
            result.complete(SubmitResult.newBuilder().setTid(request.getTid()).setStatus(SubmitResult.Status.UNKNOWN)
                    .setReason("no outcome within " + deadline.toMillis() + " ms (last error: " + lastError + ")")
                    .build());
            return;
        }
        int index = Math.floorMod(nodeIndex, nodes.size());
        client(index).thenCompose(c -> c.submit(request)).whenComplete((answer, error) -> {
            if (error == null) {
                leader.set(index);
                result.complete(answer);
                return;
            }
            Throwable cause = unwrap(error);
            int next = index + 1;
            long backoffMs = Math.min(1_000, 20L << Math.min(tries, 6));
            if (cause instanceof RemoteException remote) {
                if (remote.code() == ErrorCode.NOT_LEADER && !remote.leaderId().isEmpty()) {
                    next = indexOf(remote.leaderId(), next);
                    backoffMs = 0;
                } else if (!remote.code().retriable()) {
                    result.completeExceptionally(remote);
                    return;
                }
            } else if (cause instanceof TimeoutException) {
                // No answer in time: that node may be cut off from the majority (and not know it
                // yet), so ask the next one. Safe: the same tid never runs twice, and if it runs
                // on a healthy leader the next node points back to it.
                backoffMs = 0;
            }
            int chosen = next;
            String why = describe(cause);
            if (backoffMs == 0) {
                attempt(request, chosen, deadlineNanos, tries + 1, why, result);
            } else {
                timer.newTimeout(t -> attempt(request, chosen, deadlineNanos, tries + 1, why, result), backoffMs,
                        TimeUnit.MILLISECONDS);
            }
        });
    }

    private int indexOf(String nodeId, int fallback) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(nodeId)) {
                return i;
            }
        }
        return fallback;
    }

    /** A live connection to node {@code i}, opened again when the last one closed or never opened. */
    private CompletableFuture<NodeClient> client(int i) {
        CompletableFuture<NodeClient> current = clients.get(i);
        if (current != null && (!current.isDone() || (!current.isCompletedExceptionally() && current.join().isActive()))) {
            return current;
        }
        CompletableFuture<NodeClient> fresh = connections.connect(nodes.get(i));
        clients.set(i, fresh);
        return fresh;
    }

    private static Throwable unwrap(Throwable e) {
        Throwable cause = e;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static String describe(Throwable cause) {
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

    /**
     * Stops. A submission still waiting for a place fails (it was never sent); one in flight is
     * answered UNKNOWN (it may have run: resubmit its tid to learn the outcome).
     */
    @Override
    public void close() {
        List<Waiting> unsent;
        synchronized (this) {
            closed = true;
            unsent = List.copyOf(waiting);
            waiting.clear();
        }
        unsent.forEach(w -> w.result().completeExceptionally(new IllegalStateException(
                "DtmClient closed before " + w.request().getTid() + " was sent")));
        for (Waiting w : List.copyOf(pending)) {
            w.result().complete(SubmitResult.newBuilder().setTid(w.request().getTid())
                    .setStatus(SubmitResult.Status.UNKNOWN)
                    .setReason("DtmClient closed before the outcome was known").build());
        }
        timer.stop();
        for (int i = 0; i < clients.length(); i++) {
            CompletableFuture<NodeClient> c = clients.get(i);
            if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
                c.join().close();
            }
        }
        connections.close();
    }
}
