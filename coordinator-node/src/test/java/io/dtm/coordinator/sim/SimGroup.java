package io.dtm.coordinator.sim;

import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.coordinator.runtime.EngineLog;
import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * One log group of a {@link Simulation}: its replicated log (the real {@link TxnLogState}, with its
 * Raft term and its members, whose clocks make its log time), what its checks remember
 * ({@link LogHistory}), and its leader's engine, one per epoch, on one of its members; what an
 * older epoch's engine sends is fenced or lost. Its members change where the log says so
 * ({@link TxnLogState#changeMembers}, as a Raft configuration entry applied).
 */
final class SimGroup {
    final int index;
    final TxnLogState log;
    final LogHistory history;
    /** Node indexes of the members, in the order leadership goes round. */
    private final List<Integer> members;
    private final Simulation sim;
    private final double lostAppendReplyRate;
    long term = 1;
    private int epoch;
    /** True between a leader's loss and the next leader's start: appends find no leader. */
    boolean electing;
    private CoordinatorEngine leader;
    private int leaderNode = -1;
    private final List<String> alarms;
    /** Hand-overs that moved the group's leadership after a drain. */
    int handOvers;
    private static final long HAND_OVER_DRAIN_MS = 1_000;
    private static final long HAND_OVER_HOLD_MS = 3_000;

    SimGroup(Simulation sim, int index, TxnLogState log, List<Integer> members, double lostAppendReplyRate,
            List<String> alarms, long clockReportMs) {
        this.sim = sim;
        this.index = index;
        this.log = log;
        this.members = new ArrayList<>(members);
        this.lostAppendReplyRate = lostAppendReplyRate;
        this.history = new LogHistory(log, alarms, clockReportMs);
        this.alarms = alarms;
    }

    CoordinatorEngine leader() {
        return leader;
    }

    int leaderNode() {
        return leaderNode;
    }

    List<Integer> members() {
        return List.copyOf(members);
    }

    /**
     * A new engine, for the next epoch, on the member whose turn it is (skipping members that are
     * down); it takes over what the log holds in flight.
     */
    void newLeader() {
        epoch++;
        int node = members.get((epoch + index) % members.size());
        for (int i = 0; i < members.size() && sim.isDown(node); i++) {
            node = members.get((epoch + index + i + 1) % members.size());
        }
        long engineTerm = term;
        int on = node;
        leaderNode = node;
        leader = sim.newEngine(on, engineTerm, new Log(engineTerm, on), detail -> {
            if (leader != null && leader.term() == engineTerm) {
                stepDown("fenced: " + detail);
            }
        });
        leader.recover(log.inFlightTransactions());
        sim.trace("group " + index + ": leader on " + sim.nodeId(node) + " in term " + term);
    }

    /** The leader stops (its node crashed, or it left the group); a new one starts after an election. */
    void loseLeader(String why) {
        if (leader == null) {
            return;
        }
        sim.trace("group " + index + ": leader on " + sim.nodeId(leaderNode) + " stops (" + why + ")");
        CoordinatorEngine dead = leader;
        leader = null;
        leaderNode = -1;
        electing = true;
        dead.close();
    }

    /** The leader stops while its node runs on (fenced, or it left the group); the next is elected after a while. */
    void stepDown(String why) {
        if (leader == null || sim.healed()) {
            return;
        }
        loseLeader(why);
        sim.after(500 + sim.random().nextInt(1_500), this::elect);
    }

    /**
     * The leader hands the group to the next member (a hand-back to its preferred leader): its
     * engine drains first, then, a moment later, leadership moves; the new leader must find nothing
     * undecided in the log, or it would abort transactions only because of the move. Sometimes the
     * transfer fails instead, and the engine serves what it held. Returns at once; a hand-over that
     * does not drain in time does not happen.
     */
    void handOver(boolean transferFails) {
        CoordinatorEngine engine = leader;
        if (engine == null || sim.healed()) {
            return;
        }
        sim.trace("group " + index + ": leader on " + sim.nodeId(leaderNode) + " prepares to hand over");
        engine.prepareHandOver(HAND_OVER_DRAIN_MS, HAND_OVER_HOLD_MS).thenAccept(drained -> {
            if (!drained) {
                sim.trace("group " + index + ": the hand-over did not drain in time; the leader goes on");
                return;
            }
            sim.after(sim.random().nextInt(300), () -> {
                if (leader != engine) {
                    return; // its node crashed, or it was fenced, meanwhile
                }
                if (transferFails) {
                    sim.trace("group " + index + ": the transfer failed; the leader goes on");
                    engine.handOverEnded(false);
                    return;
                }
                List<String> undecided = log.inFlightTransactions().stream()
                        .filter(t -> t.getOutcome() == Outcome.UNDECIDED).map(TxnState::getAttemptId).toList();
                if (!undecided.isEmpty()) {
                    alarms.add("group " + index + ": the leader drained before handing over, yet the log holds"
                            + " undecided attempts the next leader must abort: " + undecided);
                }
                handOvers++;
                engine.handOverEnded(true);
                loseLeader("handed over");
                sim.after(50 + sim.random().nextInt(300), this::elect);
            });
        });
    }

    /** After an election: the next term's leader. */
    void elect() {
        term++;
        electing = false;
        newLeader();
    }

    /**
     * The group's configuration changes: {@code leaving} out, {@code joining} in its place (the
     * same node when it is re-added after losing its disk), applied to the log where a Raft
     * configuration entry would be. Returns whether the leader was the member that left.
     */
    boolean replaceMember(int leaving, int joining) {
        int at = members.indexOf(leaving);
        members.set(at, joining);
        log.changeMembers(members.stream().map(sim::nodeId).toList());
        sim.trace("group " + index + ": members now " + members.stream().map(sim::nodeId).toList());
        return leaderNode == leaving;
    }

    /** Only the members while one of them is out (the first half of a re-add). */
    void removeMember(int leaving) {
        List<String> without = members.stream().filter(m -> m != leaving).map(sim::nodeId).toList();
        log.changeMembers(without);
        sim.trace("group " + index + ": members now " + without);
    }

    RecordResult apply(TxnRecord record, long proposerTerm, int node) {
        BatchResult r = log.apply(sim.sealedBy(node).setProposerTerm(proposerTerm).addRecords(record).build(), term);
        RecordResult result = r.getResults(0);
        history.remember(record, result, sim.now());
        sim.debug("log g" + index + " " + record.toString().replace('\n', ' ') + " (term " + proposerTerm + ") -> "
                + result.getDisposition() + " " + result.getStatus() + " " + result.getOutcome());
        return result;
    }

    /** A node's clock report, as a batch with no records (non-members' change nothing). */
    void report(RecordBatch batch) {
        log.apply(batch, term);
    }

    /**
     * The log as one engine sees it: its appends carry its term and its node's clock; an append of a
     * deposed engine still reaches the log through the new leader (fenced), and a reply may be lost.
     */
    private final class Log implements EngineLog {
        private final long proposerTerm;
        private final int node;

        Log(long proposerTerm, int node) {
            this.proposerTerm = proposerTerm;
            this.node = node;
        }

        @Override
        public CompletableFuture<RecordResult> append(TxnRecord record) {
            CompletableFuture<RecordResult> result = new CompletableFuture<>();
            sim.after(sim.delay(), () -> {
                if (electing) {
                    result.completeExceptionally(new TimeoutException("no leader"));
                    return;
                }
                RecordResult r = apply(record, proposerTerm, node);
                if (!sim.healed() && sim.random().nextDouble() < lostAppendReplyRate) {
                    sim.after(sim.delay(), () -> result.completeExceptionally(new TimeoutException("reply lost")));
                } else {
                    sim.after(sim.delay(), () -> result.complete(r));
                }
            });
            return result;
        }

        @Override
        public CompletableFuture<TxnState> read(String attemptId) {
            CompletableFuture<TxnState> state = new CompletableFuture<>();
            sim.after(sim.delay(), () -> {
                TxnState read = log.query(attemptId);
                sim.debug("log g" + index + " read " + attemptId + " -> " + read.getStatus() + " " + read.getOutcome()
                        + (read.getForgotten() ? " forgotten" : ""));
                state.complete(read);
            });
            return state;
        }

        @Override
        public void close() {
        }
    }
}
