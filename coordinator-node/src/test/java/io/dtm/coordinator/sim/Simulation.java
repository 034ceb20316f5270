package io.dtm.coordinator.sim;

import com.codahale.metrics.MetricRegistry;
import io.dtm.config.ServiceName;
import io.dtm.coordinator.admin.NodeMetrics;
import io.dtm.coordinator.core.CoordinatorCore;
import io.dtm.coordinator.core.CoordinatorSettings;
import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.coordinator.runtime.EngineLog;
import io.dtm.coordinator.runtime.EngineThread;
import io.dtm.log.state.TxnLogState;
import io.dtm.participant.ParticipantCore;
import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The whole protocol on one event queue, one virtual clock and one seeded random: a coordinator
 * leader (the real {@link CoordinatorEngine} running the real {@link CoordinatorCore}, so the
 * engine's own dispatch of actions is what runs), the replicated log (the real {@link TxnLogState},
 * with terms, fencing and three members' clocks, one of which may run hours off), the four
 * participants ({@link SimParticipants}) and clients that resubmit like the real one
 * ({@link SimClients}). The network drops, duplicates, delays and reorders messages; the leader and
 * participants crash and come back; retention, the leader's answer cache and the log's memory of
 * forgotten ids are drawn small. Same seed, same run: a failure replays exactly.
 */
final class Simulation {
    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final long CLOCK_REPORT_MS = 2_000;
    private static final long HOURS = 3 * 3_600_000L;

    private final long seed;
    private final Random random;
    private long now;
    private long sequence;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final StringBuilder trace = new StringBuilder();
    private boolean healed;

    // the log: one write-once table and the current Raft term
    private final TxnLogState log;
    private long term = 1;
    /**
     * Each machine's wall clock, as an offset from true time: any of them may run hours ahead or
     * behind, and be set anew at any time (log time must not care).
     */
    private final long[] skewMs = new long[NODES.size()];
    /**
     * What each node's running process reads: its machine's wall clock when it started, moved on
     * by true time since (SteadyClock), so a clock set while it runs shows at its next start.
     */
    private final long[] processSkewMs = new long[NODES.size()];
    /** Each node's running process: its id and the true time its monotonic clock counts from. */
    private final long[] processIds = new long[NODES.size()];
    private final long[] startedAt = new long[NODES.size()];
    private final boolean[] down = new boolean[NODES.size()];
    private long nextProcessId = 1;
    private final double lostAppendReplyRate;

    // the leader: an engine per epoch, on node (epoch - 1) % 3; what an older epoch sent is fenced or lost
    private final CoordinatorSettings settings;
    private final MetricRegistry registry = new MetricRegistry();
    private CoordinatorEngine leader;
    private int epoch;
    private boolean electing;

    private final SimParticipants participants;
    private final SimClients clients;

    final List<String> alarms = new ArrayList<>();
    /** What the checks look at that the log forgets. */
    private final LogHistory history;

    private record Event(long at, long seq, Runnable run) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    Simulation(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
        double dropRate = random.nextDouble() * 0.15;
        double duplicateRate = random.nextDouble() * 0.15;
        this.lostAppendReplyRate = random.nextDouble() * 0.1;
        // Retention and caches: often tiny, so outcomes leave the log and the leader's cache while
        // their tids are resubmitted; the memory of forgotten ids is either ample or nearly none
        // (then resubmits meet the participants' memory of runs, the last line).
        int[] outcomes = {3, 10, 50, 1_000_000};
        int[] forgottenIds = {0, 4, 100_000};
        int[] cache = {0, 3, 100_000};
        long[] ages = {Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, 3_000, 30_000};
        this.log = new TxnLogState(new TxnLogState.Retention(outcomes[random.nextInt(outcomes.length)],
                ages[random.nextInt(ages.length)], forgottenIds[random.nextInt(forgottenIds.length)]), NODES);
        // Sometimes room for only three transactions waiting for their answer: most submissions are
        // answered OVERLOADED and retried, and a participant that is down turns away those that need it.
        this.settings = Workload.settings(random.nextInt(4) == 0 ? 3 : 10_000, cache[random.nextInt(cache.length)]);
        for (int node = 0; node < NODES.size(); node++) {
            processIds[node] = nextProcessId++;
            if (random.nextInt(6) == 0) {
                skewMs[node] = randomSkew();
            }
            processSkewMs[node] = skewMs[node];
        }
        this.history = new LogHistory(log, alarms, CLOCK_REPORT_MS);
        this.participants = new SimParticipants(this, dropRate, duplicateRate);
        this.clients = new SimClients(this);
        newLeader();
    }

    // ------------------------------------------------------------------ the run

    /** Runs the workload with faults, heals, lets everything settle, and checks the invariants. */
    void run(int transactions, int crashes) {
        traceClocks();
        clients.schedule(transactions);
        for (int i = random.nextInt(3); i > 0; i--) {
            after(random.nextInt(10_000), () -> { // a machine's clock is set while its process runs
                int node = random.nextInt(NODES.size());
                skewMs[node] = randomSkew();
                traceClocks();
            });
        }
        for (int i = 0; i < crashes; i++) {
            long at = 100 + random.nextInt(8_000);
            if (random.nextBoolean()) {
                after(at, this::crashLeader);
            } else {
                ServiceName s = ServiceName.values()[random.nextInt(4)];
                long down = 200 + random.nextInt(3_000);
                after(at, () -> participants.crash(s, down));
            }
        }
        participants.resolveInDoubtEvery(500);
        for (int node = 0; node < NODES.size(); node++) {
            reportClockEvery(node);
        }
        // Faults stop at 12 s; then only delays. Everything must settle well before 120 s.
        long healAt = 12_000;
        while (!queue.isEmpty() && now < 120_000) {
            Event e = queue.poll();
            now = e.at;
            if (now >= healAt) {
                healed = true;
            }
            e.run.run();
            if (healed && settled()) {
                break;
            }
        }
        Invariants.check(this);
    }

    private boolean settled() {
        return clients.settled() && participants.settled() && log.inFlightCount() == 0
                && (leader == null || leader.inFlight() == 0);
    }

    // ------------------------------------------------------------------ the leader

    private void newLeader() {
        epoch++;
        int node = (epoch - 1) % NODES.size();
        long engineTerm = term;
        CoordinatorEngine engine = new CoordinatorEngine(NODES.get(node), engineTerm,
                new CoordinatorCore(settings, new Random(random.nextLong())), new Log(engineTerm, node), participants,
                new QueueThread(), new NodeMetrics(registry), () -> clockOf(node), detail -> {
                    if (leader != null && leader.term() == engineTerm) {
                        crashLeader(); // fenced: another leader took over
                    }
                });
        leader = engine;
        engine.recover(log.inFlightTransactions());
    }

    private void crashLeader() {
        if (leader == null || healed) {
            return;
        }
        trace("leader crashes (epoch " + epoch + ")");
        CoordinatorEngine dead = leader;
        int node = (epoch - 1) % NODES.size();
        leader = null;
        electing = true;
        down[node] = true;
        dead.close();
        after(500 + random.nextInt(1_500), () -> {
            restartProcess(node);
            term++;
            electing = false;
            trace("new leader, term " + term + " on " + NODES.get(epoch % NODES.size()));
            newLeader();
        });
    }

    private long clockOf(int node) {
        return now + processSkewMs[node];
    }

    private long randomSkew() {
        return switch (random.nextInt(3)) {
            case 0 -> HOURS;
            case 1 -> -HOURS;
            default -> 0;
        };
    }

    /** The node's process starts again: a new process id, its monotonic clock from 0, its machine's clock read anew. */
    private void restartProcess(int node) {
        down[node] = false;
        processIds[node] = nextProcessId++;
        startedAt[node] = now;
        if (random.nextBoolean()) {
            skewMs[node] = randomSkew();
        }
        processSkewMs[node] = skewMs[node];
        traceClocks();
    }

    private void traceClocks() {
        trace("machine clocks off true time by " + skewMs[0] + " / " + skewMs[1] + " / " + skewMs[2]
                + " ms; the processes read " + processSkewMs[0] + " / " + processSkewMs[1] + " / " + processSkewMs[2]);
    }

    /** A batch as the node's process seals it: its id, its wall clock, its monotonic clock. */
    private RecordBatch.Builder sealedBy(int node) {
        return RecordBatch.newBuilder().setNodeId(NODES.get(node)).setTimestampMs(clockOf(node))
                .setUptimeMs(now - startedAt[node]).setProcessId(processIds[node]);
    }

    /** The engine's thread: the event queue, at the current instant. */
    private final class QueueThread implements EngineThread {
        @Override
        public void execute(Runnable task) {
            after(0, task);
        }

        @Override
        public Cancellable schedule(Runnable task, long delayMs) {
            boolean[] cancelled = new boolean[1];
            after(delayMs, () -> {
                if (!cancelled[0]) {
                    task.run();
                }
            });
            return () -> cancelled[0] = true;
        }

        @Override
        public boolean inThread() {
            return true;
        }
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
            after(delay(), () -> {
                if (electing) {
                    result.completeExceptionally(new TimeoutException("no leader"));
                    return;
                }
                RecordResult r = apply(record, proposerTerm, node);
                if (!healed && random.nextDouble() < lostAppendReplyRate) {
                    after(delay(), () -> result.completeExceptionally(new TimeoutException("reply lost")));
                } else {
                    after(delay(), () -> result.complete(r));
                }
            });
            return result;
        }

        @Override
        public CompletableFuture<TxnState> read(String attemptId) {
            CompletableFuture<TxnState> state = new CompletableFuture<>();
            after(delay(), () -> state.complete(log.query(attemptId)));
            return state;
        }

        @Override
        public void close() {
        }
    }

    private RecordResult apply(TxnRecord record, long proposerTerm, int node) {
        BatchResult r = log.apply(sealedBy(node).setProposerTerm(proposerTerm).addRecords(record).build(), term);
        RecordResult result = r.getResults(0);
        history.remember(record, result, now);
        debug("log " + record.toString().replace('\n', ' ') + " (term " + proposerTerm + ") -> "
                + result.getDisposition() + " " + result.getStatus() + " " + result.getOutcome());
        return result;
    }

    private void reportClockEvery(int node) {
        after(CLOCK_REPORT_MS, () -> {
            if (!down[node]) {
                log.apply(sealedBy(node).build(), term);
            }
            reportClockEvery(node);
        });
    }

    /** See {@link LogHistory#checkRetentionKeptItsPromise}. */
    void checkRetentionKeptItsPromise(String tid, SubmitResult refusal) {
        history.checkRetentionKeptItsPromise(tid, refusal, now);
    }

    // ------------------------------------------------------------------ plumbing

    void after(long delayMs, Runnable run) {
        queue.add(new Event(now + delayMs, sequence++, run));
    }

    long delay() {
        return 1 + random.nextInt(healed ? 10 : 60);
    }

    void trace(String line) {
        if (trace.length() < 200_000) {
            trace.append(now).append(" ms: ").append(line).append('\n');
        }
    }

    private static final String DEBUG_TID = System.getProperty("dtm.sim.debug");

    /** Traces lines that mention the tid named by -Ddtm.sim.debug (none by default). */
    void debug(String line) {
        if (DEBUG_TID != null && (line.contains(DEBUG_TID + "#") || line.contains(DEBUG_TID + " "))) {
            trace(line);
        }
    }

    long now() {
        return now;
    }

    Random random() {
        return random;
    }

    boolean healed() {
        return healed;
    }

    CoordinatorSettings settings() {
        return settings;
    }

    // ------------------------------------------------------------------ what the invariants look at

    long seed() {
        return seed;
    }

    String trace() {
        return trace.toString();
    }

    TxnLogState log() {
        return log;
    }

    /** The current leader's engine, null while there is none. */
    CoordinatorEngine leader() {
        return leader;
    }

    /** Invariant violations the engines counted (a participant contradicting the log), across terms. */
    long violationsCounted() {
        return registry.counter(NodeMetrics.INVARIANT_VIOLATIONS).getCount();
    }

    SimClients clients() {
        return clients;
    }

    SimParticipants participants() {
        return participants;
    }

    Map<String, SubmitResult> answers() {
        return clients.answers;
    }

    Map<String, SubmitRequest> requests() {
        return clients.requests();
    }

    List<SubmitRequest> candidates(String tid) {
        return clients.candidates(tid);
    }

    /** The digest of the request whose Begin of {@code tid#1} the log applied first (0: none). */
    long firstDigest(String tid) {
        return history.firstDigest(tid);
    }

    /** Whether the log ever applied a Begin of the attempt id. */
    boolean everBegun(String attemptId) {
        return history.everBegun(attemptId);
    }

    /** Whether a COMMIT was ever applied for the attempt id (its outcome may have left the log since). */
    boolean everCommitted(String attemptId) {
        return history.everCommitted(attemptId);
    }

    /** One of the tid's decided attempts was begun again as new: the log had no trace of it left. */
    boolean rerunBeyondMemory(String tid) {
        return history.rerunBeyondMemory(tid);
    }

    ParticipantCore participant(ServiceName s) {
        return participants.core(s);
    }

    LocalState stateAt(ServiceName s, String attemptId) {
        return participants.stateAt(s, attemptId);
    }
}
