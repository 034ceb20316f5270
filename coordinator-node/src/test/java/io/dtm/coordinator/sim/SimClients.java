package io.dtm.coordinator.sim;

import io.dtm.coordinator.core.TxnRequest;
import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The clients of a {@link Simulation}: each submits one request under a tid and, like the real
 * client, submits it again after a while (or after NOT_LEADER, or OVERLOADED) until it has a final
 * answer. The workload adds duplicates, resubmits at any later time (after the answer, after the
 * outcome left the leader's cache and the log) and other requests under the same tid. Every answer
 * is checked against every earlier one as it comes.
 */
final class SimClients {
    static final long CLIENT_RETRY_MS = 1_500;

    private final Simulation sim;
    /** What each tid asked first, and every request submitted under it. */
    private final Map<String, SubmitRequest> requests = new LinkedHashMap<>();
    private final Map<String, List<SubmitRequest>> candidates = new HashMap<>();
    /** The first client's final answer per tid (every tid's first client must get one). */
    final Map<String, SubmitResult> answers = new HashMap<>();
    /** Every COMMITTED or ABORTED answer any client got for the tid, in order. */
    private final Map<String, List<SubmitResult>> told = new HashMap<>();
    final List<Answer> answered = new ArrayList<>();
    /** Answers that contradicted an earlier one after the log had lost every trace of the earlier outcome. */
    int toleratedBeyondMemory;
    /** Answers "no longer retained". */
    int retentionRefusals;
    /** Submissions turned away OVERLOADED (and retried). */
    int overloaded;
    /** Answers that broke the contract (checked as they come). */
    final List<String> broken = new ArrayList<>();
    private int waiting;

    SimClients(Simulation sim) {
        this.sim = sim;
    }

    /**
     * What a client was told, with the digest of the request it sent; {@code beyondMemory}: the log
     * had lost every trace of one of the tid's decided attempts when it was told.
     */
    record Answer(String tid, long digest, SubmitResult result, boolean beyondMemory) {
    }

    /** One client's submission of one request under a tid, retried until it has a final answer. */
    private final class Client {
        final String tid;
        final SubmitRequest request;
        final long digest;
        final boolean first;
        boolean done;

        Client(String tid, SubmitRequest request, boolean first) {
            this.tid = tid;
            this.request = request;
            this.digest = Invariants.digest(request);
            this.first = first;
            waiting++;
        }
    }

    void schedule(int transactions) {
        // Late resubmits of a different request need the log's memory of forgotten ids: past it, a
        // different request that needs none of the first one's services runs as new (documented).
        boolean otherRequests = sim.retention().maxForgotten() >= transactions * TxnIds.MAX_ATTEMPTS;
        for (int i = 0; i < transactions; i++) {
            String tid = "t" + i;
            SubmitRequest request = Workload.request(tid, sim.random());
            requests.put(tid, request);
            candidates.computeIfAbsent(tid, t -> new ArrayList<>()).add(request);
            long at = sim.random().nextInt(8_000);
            Client first = new Client(tid, request, true);
            sim.after(at, () -> submit(first));
            if (sim.random().nextInt(8) == 0) {
                Client again = new Client(tid, request, false); // a duplicate submission, soon after
                sim.after(at + sim.random().nextInt(4_000), () -> submit(again));
            }
            if (sim.random().nextInt(4) == 0) {
                // The same request again, at any time: while running, after its answer, after its
                // outcome left the leader's cache and the log (retention is often tiny here).
                Client late = new Client(tid, request, false);
                sim.after(at + sim.random().nextInt(60_000), () -> submit(late));
            }
            if (otherRequests && sim.random().nextInt(25) == 0) {
                SubmitRequest other = Workload.request(tid, sim.random());
                candidates.get(tid).add(other);
                Client reuser = new Client(tid, other, false); // the same tid, another request
                sim.after(at + sim.random().nextInt(sim.random().nextBoolean() ? 4_000 : 60_000), () -> submit(reuser));
            }
        }
    }

    private void submit(Client c) {
        if (c.done) {
            return;
        }
        CoordinatorEngine leader = sim.leaderOf(c.tid);
        if (leader == null) {
            sim.after(CLIENT_RETRY_MS, () -> submit(c));
            return;
        }
        TxnRequest valid = ((TxnRequest.Valid) TxnRequest.validate(c.request, sim.settings())).request();
        sim.debug(c.tid + " submitted (digest " + valid.digest() + ", " + valid.serviceIds() + ")");
        leader.submit(valid).whenComplete((result, error) -> {
            if (error == null && result.getStatus() != SubmitResult.Status.OVERLOADED) {
                sim.after(sim.delay(), () -> deliver(c, result));
            } else {
                if (error == null) {
                    overloaded++;
                }
                sim.after(CLIENT_RETRY_MS, () -> submit(c)); // NOT_LEADER or OVERLOADED: again, later
            }
        });
        // The client gives up on this request after a while and submits it again (the real client does).
        sim.after(CLIENT_RETRY_MS * 2, () -> submit(c));
    }

    private void deliver(Client c, SubmitResult result) {
        if (c.done) {
            return;
        }
        c.done = true;
        waiting--;
        sim.debug(c.tid + " told " + result.getStatus() + " " + result.getReason());
        if (c.first) {
            answers.put(c.tid, result);
        }
        boolean beyondMemory = sim.rerunBeyondMemory(c.tid);
        answered.add(new Answer(c.tid, c.digest, result, beyondMemory));
        if (result.getStatus() == SubmitResult.Status.REJECTED && result.getReason().contains("no longer retained")) {
            retentionRefusals++;
            sim.checkRetentionKeptItsPromise(c.tid, result);
        }
        if (result.getStatus() != SubmitResult.Status.COMMITTED && result.getStatus() != SubmitResult.Status.ABORTED) {
            return;
        }
        List<SubmitResult> before = told.computeIfAbsent(c.tid, t -> new ArrayList<>());
        for (SubmitResult earlier : before) {
            if (earlier.getStatus() != result.getStatus()) {
                if (beyondMemory) {
                    toleratedBeyondMemory++; // the documented limit: no memory of the tid is left anywhere in the log
                    sim.trace("past the log's memory: " + c.tid + " answered " + earlier.getStatus() + " then "
                            + result.getStatus() + " (" + result.getReason() + ")");
                } else {
                    broken.add(c.tid + " answered " + earlier.getStatus() + " then " + result.getStatus() + " ("
                            + result.getReason() + ")");
                }
                break;
            }
        }
        before.add(result);
    }

    /** Every client has its final answer. */
    boolean settled() {
        return waiting == 0;
    }

    Map<String, SubmitRequest> requests() {
        return requests;
    }

    List<SubmitRequest> candidates(String tid) {
        return candidates.get(tid);
    }
}
