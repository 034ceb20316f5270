package io.dtm.client;

import io.dtm.config.ClusterConfig;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.Failures;
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.KnownNodes;
import io.dtm.rpc.NodeClient;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timer;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongConsumer;
import java.util.random.RandomGenerator;

/**
 * The client applications embed: submit a transaction, get its final outcome.
 *
 * <p>Routes each tid to the leader of its log group ({@link LogGroupOfTid}): first to the group's
 * preferred leader (its first member, whom Raft priorities make leader when it is up), then to
 * whichever node last answered for the group, following NOT_LEADER; on a lost connection, a timeout or no
 * leader, it submits the same tid again — to another node when needed — until the outcome is known
 * or the caller's deadline passes. That is safe because submit is idempotent: the same tid returns
 * its outcome, or joins it while it runs. When the deadline passes first, the answer is UNKNOWN,
 * never a guess.
 *
 * <p>An OVERLOADED answer (the leader had no room for it: nothing was logged) is not final either:
 * the same tid is sent to the leader again until the deadline. If the leader still had no room
 * when the deadline passed, the answer is OVERLOADED with the leader's reason (it never got
 * through: submit it again later); it is UNKNOWN when the last attempt's fate is not known.
 *
 * <p>Retries wait an exponential backoff with full jitter ({@link Backoff}: up to 20 ms before the
 * first, doubling to at most 1 s), so that the clients of a failed leader do not all come back at
 * the same instant. Only a NOT_LEADER naming the leader is followed at once, and only once in a row.
 *
 * <p>Bounded: at most {@code maxInFlight} submissions run at once (default
 * {@value #DEFAULT_MAX_IN_FLIGHT}) and at most {@code maxWaiting} wait for a place (default
 * {@value #DEFAULT_MAX_WAITING}). Past both, {@link #submit} answers at once with status OVERLOADED
 * and a reason that says the client is saturated: nothing was sent, so the caller can slow down
 * and submit the same tid again later. That is the status a leader without room gives, and it
 * means the same thing.
 *
 * <p>Asynchronous and thread-safe: many submissions in flight over one connection per node.
 */
public final class DtmClient implements AutoCloseable {
    /** Submissions running at once unless the constructor says otherwise. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1_024;
    /** Submissions waiting for a place unless the constructor says otherwise. */
    public static final int DEFAULT_MAX_WAITING = 8_192;

    /** The configured nodes, then those learned from NOT_LEADER (a node added since this client started). */
    private final KnownNodes nodes;
    private final DtmConnections connections;
    private final Duration deadline;
    private final int maxInFlight;
    private final int maxWaiting;
    private final Backoff backoff;
    /** Told every backoff drawn (tests); from any thread. */
    private final LongConsumer backoffListener;
    /** Submissions waiting for one of the {@code maxInFlight} places; guarded by {@code this}. */
    private final Deque<Waiting> waiting = new ArrayDeque<>();
    /** Every submission not yet complete, so that closing can answer them all. */
    private final Set<Waiting> pending = ConcurrentHashMap.newKeySet();
    private boolean closed;
    private int inFlight;
    private final AtomicReferenceArray<CompletableFuture<NodeClient>> clients;
    /** Log groups of the cluster (tids spread over them). */
    private final int groups;
    /** The node believed to lead each log group, by group; a group's requests go there first. */
    private final AtomicIntegerArray leaders;
    private final Timer timer = new HashedWheelTimer(r -> {
        Thread t = new Thread(r, "dtm-client-retries");
        t.setDaemon(true);
        return t;
    }, 10, TimeUnit.MILLISECONDS);

    /**
     * A client with {@value #DEFAULT_MAX_IN_FLIGHT} submissions in flight at most and
     * {@value #DEFAULT_MAX_WAITING} waiting.
     *
     * @param requestTimeout how long one request to one node may take (longer than a transaction's
     *                       own deadline, so that a slow transaction is not asked for twice)
     * @param deadline       how long a submission may take in all, retries included
     */
    public DtmClient(ClusterConfig config, Duration requestTimeout, Duration deadline) {
        this(config, requestTimeout, deadline, DEFAULT_MAX_IN_FLIGHT);
    }

    /**
     * @param maxInFlight submissions running at once; more wait their turn in submission order (their
     *                    deadline counts from when they start), {@value #DEFAULT_MAX_WAITING} at most
     */
    public DtmClient(ClusterConfig config, Duration requestTimeout, Duration deadline, int maxInFlight) {
        this(config, requestTimeout, deadline, maxInFlight, DEFAULT_MAX_WAITING);
    }

    /**
     * @param maxWaiting submissions that may wait for a place; past them {@link #submit} answers
     *                   OVERLOADED at once (the client is saturated, nothing was sent)
     */
    public DtmClient(ClusterConfig config, Duration requestTimeout, Duration deadline, int maxInFlight,
            int maxWaiting) {
        this(config, requestTimeout, deadline, maxInFlight, maxWaiting, new Random(), delayMs -> { });
    }

    /** With the backoff's randomness given (seeded in tests) and a listener told each backoff drawn. */
    DtmClient(ClusterConfig config, Duration requestTimeout, Duration deadline, int maxInFlight, int maxWaiting,
            RandomGenerator random, LongConsumer backoffListener) {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        if (maxWaiting < 0) {
            throw new IllegalArgumentException("maxWaiting must not be negative, got " + maxWaiting);
        }
        this.nodes = new KnownNodes(config.nodes());
        // Over TLS with the client certificate (client.pem in the cluster's tls directory) when the cluster has TLS on.
        this.connections = DtmConnections.of(config, "client", requestTimeout, "dtm-client");
        this.deadline = deadline;
        this.maxInFlight = maxInFlight;
        this.maxWaiting = maxWaiting;
        this.backoff = new Backoff(random);
        this.backoffListener = backoffListener;
        this.clients = new AtomicReferenceArray<>(nodes.capacity());
        this.groups = config.log().groups();
        this.leaders = new AtomicIntegerArray(groups);
        for (int g = 0; g < groups; g++) {
            leaders.set(g, indexOf(config.groupMembers(g).get(0), 0));
        }
    }

    /** A submission waiting for a place among the {@code maxInFlight}. */
    private record Waiting(SubmitRequest request, CompletableFuture<SubmitResult> result) {
    }

    /**
     * The final outcome of the transaction: COMMITTED, ABORTED, REJECTED, UNKNOWN past the deadline,
     * or OVERLOADED (the leader had no room for it until the deadline, or this client is saturated:
     * nothing was logged either way; submit it again later). Fails only when the cluster refused the
     * request itself (a {@link RemoteException} that retrying cannot change) or the client was
     * closed first.
     */
    public CompletableFuture<SubmitResult> submit(SubmitRequest request) {
        CompletableFuture<SubmitResult> result = new CompletableFuture<>();
        Waiting submission = new Waiting(request, result);
        boolean now = false;
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(new IllegalStateException("DtmClient is closed"));
            }
            if (inFlight < maxInFlight) {
                inFlight++;
                now = true;
            } else if (waiting.size() < maxWaiting) {
                waiting.add(submission);
            } else {
                return CompletableFuture.completedFuture(SubmitResult.newBuilder().setTid(request.getTid())
                        .setStatus(SubmitResult.Status.OVERLOADED)
                        .setReason("DtmClient saturated: " + maxInFlight + " submissions in flight and " + maxWaiting
                                + " waiting; nothing was sent, submit it again later").build());
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
        Retries retries = new Retries(request, result, System.nanoTime() + deadline.toNanos(),
                LogGroupOfTid.indexOf(request.getTid(), groups));
        attempt(retries, leaders.get(retries.group));
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

    /**
     * One submission's tries. Only one callback touches it at a time: each try is started by the
     * answer to the one before (directly or through the timer, which publishes safely).
     */
    private final class Retries {
        final SubmitRequest request;
        final CompletableFuture<SubmitResult> result;
        final long deadlineNanos;
        /** The tid's log group. */
        final int group;
        int sent;
        int backoffs;
        int redirectsInARow;
        String lastError = "";
        /** The leader's OVERLOADED answer when that was the last word: nothing was logged. */
        SubmitResult overloaded;

        Retries(SubmitRequest request, CompletableFuture<SubmitResult> result, long deadlineNanos, int group) {
            this.request = request;
            this.result = result;
            this.deadlineNanos = deadlineNanos;
            this.group = group;
        }

        /** The answer once the deadline passed: OVERLOADED when the leader's last word was that, else UNKNOWN. */
        SubmitResult giveUp() {
            if (overloaded != null) {
                return overloaded.toBuilder().setTid(request.getTid()).setReason(overloaded.getReason()
                        + " (no room in " + sent + " tries within " + deadline.toMillis() + " ms: nothing was logged,"
                        + " submit it again later)").build();
            }
            return SubmitResult.newBuilder().setTid(request.getTid()).setStatus(SubmitResult.Status.UNKNOWN)
                    .setReason("no outcome within " + deadline.toMillis() + " ms (last error: " + lastError + ")")
                    .build();
        }
    }

    private void attempt(Retries r, int nodeIndex) {
        if (r.result.isDone()) {
            return; // answered by close()
        }
        if (System.nanoTime() >= r.deadlineNanos) {
            r.result.complete(r.giveUp());
            return;
        }
        int index = Math.floorMod(nodeIndex, nodes.size());
        r.sent++;
        client(index).thenCompose(c -> c.submit(r.request)).whenComplete((answer, error) -> {
            if (error == null) {
                leaders.set(r.group, index);
                r.redirectsInARow = 0;
                if (answer.getStatus() != SubmitResult.Status.OVERLOADED) {
                    r.result.complete(answer);
                    return;
                }
                // The leader had no room: nothing was logged. Ask it again after the backoff.
                r.overloaded = answer;
                retryLater(r, index);
                return;
            }
            Throwable cause = Failures.unwrap(error);
            // The last word is no longer the leader's "no room": this try may have run.
            r.overloaded = null;
            r.lastError = describe(cause);
            int next = index + 1;
            if (cause instanceof RemoteException remote) {
                if (remote.code() == ErrorCode.NOT_LEADER && !remote.leaderId().isEmpty()) {
                    int named = nodes.indexOrLearn(remote.leaderId(), remote.leaderAddress());
                    next = named >= 0 ? named : next;
                    // A redirect to the named leader goes at once; a second in a row means the
                    // nodes disagree (an election under way): back off like any other failure.
                    if (r.redirectsInARow++ == 0) {
                        attempt(r, next);
                        return;
                    }
                    retryLater(r, next);
                    return;
                } else if (!remote.code().retriable()) {
                    r.result.completeExceptionally(remote);
                    return;
                }
            }
            // No answer in time, a lost connection or no leader: that node may be cut off from the
            // majority (and not know it yet), so ask the next one. Safe: the same tid never runs
            // twice, and if it runs on a healthy leader the next node points back to it.
            r.redirectsInARow = 0;
            retryLater(r, next);
        });
    }

    /** Tries again on {@code nodeIndex} after a jittered backoff, or at the deadline if that comes first. */
    private void retryLater(Retries r, int nodeIndex) {
        long delayMs = backoff.delayMs(r.backoffs++);
        backoffListener.accept(delayMs);
        long leftMs = TimeUnit.NANOSECONDS.toMillis(r.deadlineNanos - System.nanoTime());
        try {
            timer.newTimeout(t -> attempt(r, nodeIndex), Math.max(0, Math.min(delayMs, leftMs)),
                    TimeUnit.MILLISECONDS);
        } catch (IllegalStateException e) {
            // The timer stopped: the client is closed and has answered every submission.
        }
    }

    private int indexOf(String nodeId, int fallback) {
        int i = nodes.indexOf(nodeId);
        return i >= 0 ? i : fallback;
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
