package io.dtm.jepsen.run;

import io.dtm.protocol.Failures;
import io.dtm.client.DtmClient;
import io.dtm.config.NodeConfig;
import io.dtm.jepsen.check.OutcomeRegisterChecker;
import io.dtm.jepsen.history.ClientOps;
import io.dtm.jepsen.history.History;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.rpc.NodeClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The test's clients: {@code concurrency} processes, each one operation at a time, together at
 * about {@code rate} operations a second. An operation is one of (see {@link ClientOps}): a new
 * order through {@link DtmClient}, as an application would submit it; a resubmission of an
 * earlier tid with the same request, through {@link DtmClient} or straight to a random node; a
 * resubmission of the tid of an earlier order that was answered COMMITTED or ABORTED with a
 * different request (a client reusing a tid by mistake); or a read of an earlier tid's status
 * through a random node. The earlier tid is drawn from the whole run half the time (long after its
 * answer, past retention when retention is small), else from the last {@link #RECENT} (still
 * running, or just answered). Every choice comes from the workload's seeded random. Each operation
 * is recorded when invoked and when it completes: {@code ok}, {@code fail} (certainly without
 * effect) or {@code info}.
 */
final class Clients {
    private static final Logger LOG = LoggerFactory.getLogger(Clients.class);
    static final Duration SUBMIT_DEADLINE = Duration.ofSeconds(10);
    private static final long CALL_TIMEOUT_S = 5;

    private final TestCluster cluster;
    private final History history;
    private final Workload workload;
    private final int concurrency;
    private final double rate;
    private final DtmClient client;
    /** How many of the latest orders count as recent when an earlier tid is drawn. */
    static final int RECENT = 20;

    /** Every order submitted, in submission order. */
    private final List<Workload.Order> submitted = new ArrayList<>();
    /** The orders whose first submission was answered COMMITTED or ABORTED: the tid is surely theirs. */
    private final List<Workload.Order> decided = new ArrayList<>();
    private final AtomicLong nextTid = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean stopping;

    Clients(TestCluster cluster, History history, Workload workload, int concurrency, double rate) {
        this.cluster = cluster;
        this.history = history;
        this.workload = workload;
        this.concurrency = concurrency;
        this.rate = rate;
        this.client = new DtmClient(cluster.config(), Duration.ofSeconds(CALL_TIMEOUT_S), SUBMIT_DEADLINE);
    }

    void start() {
        for (int p = 0; p < concurrency; p++) {
            int process = p;
            Thread t = new Thread(() -> loop(process), "client-" + p);
            t.setDaemon(true);
            workers.add(t);
            t.start();
        }
    }

    /** Stops the workers; an operation still open after {@code grace} stays without completion (info). */
    void stop(Duration grace) throws InterruptedException {
        stopping = true;
        long deadline = System.nanoTime() + grace.toNanos();
        for (Thread t : workers) {
            t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
        }
    }

    synchronized List<String> tids() {
        return submitted.stream().map(o -> o.request().getTid()).toList();
    }

    private void loop(int process) {
        long interval = (long) (1e9 * concurrency / rate);
        long next = System.nanoTime() + (long) (Math.random() * interval);
        while (!stopping) {
            long wait = next - System.nanoTime();
            if (wait > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(wait);
                } catch (InterruptedException e) {
                    return;
                }
            }
            next = Math.max(next + interval, System.nanoTime() - interval);
            try {
                int dice = workload.nextInt(100);
                Workload.Order earlier = dice < 58 ? null : dice < 70 || dice >= 75 ? earlier(submitted) : earlier(decided);
                if (earlier == null) {
                    submitNew(process);
                } else if (dice < 70) {
                    resubmit(process, ClientOps.RESUBMIT, earlier);
                } else if (dice < 75) {
                    resubmit(process, ClientOps.RESUBMIT_OTHER, workload.other(earlier));
                } else {
                    read(process, earlier.request().getTid(), randomNode(), ClientOps.READ);
                }
            } catch (RuntimeException e) {
                LOG.warn("client {}: {}", process, e.toString());
            }
        }
    }

    /** One of {@code orders}: from the whole run, or from the last {@link #RECENT}, half the time each; null when none. */
    private synchronized Workload.Order earlier(List<Workload.Order> orders) {
        if (orders.isEmpty()) {
            return null;
        }
        int from = workload.nextInt(2) == 0 ? 0 : Math.max(0, orders.size() - RECENT);
        return orders.get(from + workload.nextInt(orders.size() - from));
    }

    private void submitNew(int process) {
        Workload.Order order = workload.next("t" + nextTid.incrementAndGet());
        synchronized (this) {
            submitted.add(order);
        }
        SubmitResult result = submitRecorded(process, ClientOps.SUBMIT, order);
        if (result != null && (result.getStatus() == SubmitResult.Status.COMMITTED
                || result.getStatus() == SubmitResult.Status.ABORTED)) {
            synchronized (this) {
                decided.add(order);
            }
        }
    }

    /**
     * Submits {@code order} through {@link DtmClient} and records it as {@code f} (also the probes
     * after the heal); the result, or null when the client failed it (recorded as such).
     */
    SubmitResult submitRecorded(int process, String f, Workload.Order order) {
        Op invoke = history.invoke(process, f, order.facts().toValue(), null, order.request().getTid());
        try {
            SubmitResult result = client.submit(order.request()).join();
            complete(invoke, result);
            return result;
        } catch (CompletionException e) {
            failed(invoke, e);
            return null;
        }
    }

    /**
     * An earlier tid again, recorded as {@code f}, with {@code order} (its own request, or a
     * different one): through {@link DtmClient}, or straight to one node (which may not lead).
     */
    private void resubmit(int process, String f, Workload.Order order) {
        if (workload.nextInt(2) == 0) {
            submitRecorded(process, f, order);
            return;
        }
        NodeConfig node = randomNode();
        Op invoke = history.invoke(process, f, order.facts().toValue(), node.id(), order.request().getTid());
        try (NodeClient c = cluster.connections().connect(node).get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
            complete(invoke, c.submit(order.request()).get(SUBMIT_DEADLINE.toSeconds(), TimeUnit.SECONDS));
        } catch (Exception e) {
            failed(invoke, e);
        }
    }

    /**
     * Reads {@code tid}'s status through {@code node}, on a connection of its own; outcome COMMIT,
     * ABORT, NONE (no decision yet) or FORGOTTEN (the outcome is no longer retained).
     */
    void read(int process, String tid, NodeConfig node, String f) {
        Op invoke = history.invoke(process, f, null, node.id(), tid);
        try (NodeClient c = cluster.connections().connect(node).get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
            completeRead(invoke, c.txnStatus(tid).get(CALL_TIMEOUT_S, TimeUnit.SECONDS));
        } catch (Exception e) {
            history.complete(invoke, OpType.FAIL, null, describe(e));
        }
    }

    /**
     * Reads each of {@code tids} through {@code node} as {@link ClientOps#READ}, one after the other on
     * one connection (a new one after a failure): the final reads, thousands of them. Each is a
     * linearizable read, mostly through a follower of the tid's group, so they are many readers
     * (8 readers with a connection per read took 16 s of a 79 s run; 32 on one connection each, 2 s
     * for 635 reads).
     */
    void readAll(int process, List<String> tids, NodeConfig node) {
        NodeClient c = null;
        try {
            for (String tid : tids) {
                Op invoke = history.invoke(process, ClientOps.READ, null, node.id(), tid);
                try {
                    if (c == null) {
                        c = cluster.connections().connect(node).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
                    }
                    completeRead(invoke, c.txnStatus(tid).get(CALL_TIMEOUT_S, TimeUnit.SECONDS));
                } catch (Exception e) {
                    history.complete(invoke, OpType.FAIL, null, describe(e));
                    if (c != null) {
                        c.close();
                        c = null;
                    }
                }
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
    }

    private void completeRead(Op invoke, TxnState s) {
        boolean decided = s.getStatus() == TxnStatus.DECIDED || s.getStatus() == TxnStatus.ENDED;
        String outcome = decided ? s.getOutcome().name()
                : s.getStatus() == TxnStatus.FORGOTTEN ? OutcomeRegisterChecker.FORGOTTEN : "NONE";
        history.complete(invoke, OpType.OK, Map.of("outcome", outcome, "status", s.getStatus().name()), null);
    }

    private void complete(Op invoke, SubmitResult r) {
        Map<String, Object> value = Map.of("status", r.getStatus().name(), "attempts", r.getAttempts());
        switch (r.getStatus()) {
            case COMMITTED -> history.complete(invoke, OpType.OK, value, null);
            case ABORTED, REJECTED -> history.complete(invoke, OpType.FAIL, value, r.getReason());
            // OVERLOADED: the leader's last word was "no room", but an earlier try of the same tid
            // (timed out, connection lost) may have run: indeterminate, like UNKNOWN.
            case OVERLOADED, UNKNOWN, UNRECOGNIZED -> history.complete(invoke, OpType.INFO, value, r.getReason());
        }
    }

    /** A refusal before anything started is {@code fail}; anything else may have run: {@code info}. */
    private void failed(Op invoke, Exception e) {
        Throwable cause = Failures.unwrap(e);
        boolean refused = cause instanceof RemoteException r
                && (r.code() == ErrorCode.NOT_LEADER || r.code() == ErrorCode.OVERLOADED
                || r.code() == ErrorCode.INVALID_REQUEST);
        boolean notConnected = cause instanceof java.net.ConnectException; // nothing was sent
        history.complete(invoke, refused || notConnected ? OpType.FAIL : OpType.INFO, null, describe(e));
    }

    NodeConfig randomNode() {
        List<NodeConfig> nodes = cluster.config().nodes();
        return nodes.get(workload.nextInt(nodes.size()));
    }

    private static String describe(Throwable e) {
        Throwable cause = Failures.unwrap(e);
        return cause.getMessage() == null ? cause.getClass().getSimpleName()
                : cause.getMessage();
    }

    void close() {
        client.close();
    }
}
