package io.dtm.coordinator;

import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.log.LeadershipListener;
import io.dtm.log.TxnLogServer;
import io.dtm.protocol.rpc.GroupStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

/**
 * The coordinator engines of one node, one per log group it leads, started and stopped as its
 * leadership of each group comes and goes: when the node becomes a group's leader and has applied
 * the group's whole log, a new engine for that group and term takes over every attempt in flight
 * there; when leadership moves away (or the log fences the engine's records), the engine stops and
 * its waiting clients hear NOT_LEADER. Engines start and stop in order on one thread of their own,
 * never on Ratis's.
 */
final class GroupEngines implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupEngines.class);

    /** Makes the engine of a group and term; {@code onFenced} is told when the log fences its records. */
    interface Factory {
        CoordinatorEngine create(int group, long term, Consumer<String> onFenced);
    }

    private final String nodeId;
    private final TxnLogServer logServer;
    private final Factory factory;
    private final ExecutorService leadership;
    /** The engine of each log group this node leads, by group index; null where it does not. */
    private final AtomicReferenceArray<CoordinatorEngine> engines;

    GroupEngines(String nodeId, TxnLogServer logServer, Factory factory) {
        this.nodeId = nodeId;
        this.logServer = logServer;
        this.factory = factory;
        this.engines = new AtomicReferenceArray<>(logServer.groups().size());
        this.leadership = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, nodeId + "-leadership");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts following the leadership of every group of this node, those it holds now (taking over
     * those it leads already) and those it joins later.
     */
    void listen() {
        logServer.setLeadershipListeners(this::listenerOf);
        for (int group : logServer.hostedGroups()) {
            // Leadership may have come before the listener was set.
            GroupStatus status = logServer.status(group);
            if (status.getLeaderReady()) {
                long term = status.getTerm();
                leadership.execute(() -> lead(group, term));
            }
        }
    }

    private LeadershipListener listenerOf(int group) {
        return new LeadershipListener() {
            @Override
            public void leaderReady(long term) {
                leadership.execute(() -> lead(group, term));
            }

            @Override
            public void leaderChanged(String leaderId) {
                if (!leaderId.equals(nodeId)) {
                    leadership.execute(() -> stepDown(group, "leadership moved to "
                            + (leaderId.isEmpty() ? "nobody yet" : leaderId)));
                }
            }

            @Override
            public void leadershipLost() {
                leadership.execute(() -> stepDown(group, "Raft stepped down (no majority, a higher term, or a"
                        + " transfer)"));
            }

            @Override
            public CompletableFuture<Boolean> prepareHandOver(long maxWaitMs, long maxHoldMs) {
                CoordinatorEngine engine = engines.get(group);
                return engine == null ? CompletableFuture.completedFuture(false)
                        : engine.prepareHandOver(maxWaitMs, maxHoldMs);
            }

            @Override
            public void handOverEnded(boolean transferred) {
                CoordinatorEngine engine = engines.get(group);
                if (engine != null) {
                    engine.handOverEnded(transferred);
                }
            }
        };
    }

    /** On the leadership thread: a new engine for {@code group} and {@code term} takes over what its log holds in flight. */
    private void lead(int group, long term) {
        CoordinatorEngine current = engines.get(group);
        if (current != null && current.term() == term) {
            return;
        }
        if (current != null) {
            stepDown(group, "a newer term " + term + " began");
        }
        GroupStatus status = logServer.status(group);
        if (!status.getLeaderReady() || status.getTerm() != term) {
            return; // leadership already moved on
        }
        CoordinatorEngine next = factory.create(group, term,
                detail -> leadership.execute(() -> stepDownFrom(group, term, "fenced by the log: " + detail)));
        next.recover(logServer.stateMachine(group).inFlightTransactions());
        engines.set(group, next);
        LOG.info("[{}] leading log group {} in term {}: coordinating its transactions", nodeId, group, term);
    }

    /**
     * Stops the engine of {@code group} and {@code term} only: a FENCED answer to that engine's append
     * may reach this thread after a later term's engine took over, and must not stop that one.
     */
    void stepDownFrom(int group, long term, String why) {
        CoordinatorEngine current = engines.get(group);
        if (current != null && current.term() == term) {
            stepDown(group, why);
        } else {
            LOG.info("[{}] the engine of log group {} term {} was fenced ({}), but term {} coordinates now: nothing to"
                    + " stop", nodeId, group, term, why, current == null ? "none" : String.valueOf(current.term()));
        }
    }

    private void stepDown(int group, String why) {
        CoordinatorEngine current = engines.get(group);
        if (current == null) {
            return;
        }
        engines.set(group, null);
        current.close();
        LOG.info("[{}] stopped coordinating log group {} (term {}): {}", nodeId, group, current.term(), why);
    }

    /** The engine of {@code group}, or null when this node does not coordinate it. */
    CoordinatorEngine get(int group) {
        return engines.get(group);
    }

    /** {@code count} summed over the running engines. */
    long sum(ToLongFunction<CoordinatorEngine> count) {
        long sum = 0;
        for (int g = 0; g < engines.length(); g++) {
            CoordinatorEngine e = engines.get(g);
            sum += e == null ? 0 : count.applyAsLong(e);
        }
        return sum;
    }

    /** The groups coordinated here now, ascending. */
    List<Integer> coordinated() {
        List<Integer> out = new ArrayList<>();
        for (int g = 0; g < engines.length(); g++) {
            if (engines.get(g) != null) {
                out.add(g);
            }
        }
        return out;
    }

    /** Runs {@code task} on the thread that starts and stops engines, after what is queued there. */
    void onLeadershipThread(Runnable task) {
        leadership.execute(task);
    }

    /** Stops every engine, then the leadership thread. */
    @Override
    public void close() {
        leadership.execute(() -> {
            for (int g = 0; g < engines.length(); g++) {
                stepDown(g, "node stopping");
            }
        });
        leadership.shutdown();
        try {
            leadership.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
