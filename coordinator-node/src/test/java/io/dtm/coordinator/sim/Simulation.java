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
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.participant.ParticipantCore;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The whole protocol on one event queue, one virtual clock and one seeded random: the log split into
 * one or three groups ({@link SimGroup}), each with its leader (the real {@link CoordinatorEngine}
 * running the real {@link CoordinatorCore}, so the engine's own dispatch of actions is what runs) and
 * its replicated log (the real {@link TxnLogState}, with terms, fencing and its members' clocks, any
 * of which may run hours off), the four participants ({@link SimParticipants}) and clients that
 * resubmit like the real one ({@link SimClients}), each tid in its group ({@link LogGroupOfTid}). The
 * network drops, duplicates, delays and reorders messages; nodes (with every engine on them) and
 * participants crash and come back; a node's disk may be lost and the node replaced in a group, or
 * re-added empty, changing the group's members where its log says so; retention, the leaders'
 * answer caches and the log's memory of forgotten ids are drawn small. Same seed, same run: a
 * failure replays exactly.
 */
final class Simulation {
    /** Three nodes hold every group at first; n4 is the spare a membership change brings in. */
    private static final List<String> NODES = List.of("n1", "n2", "n3", "n4");
    private static final int FIRST_NODES = 3;
    private static final long CLOCK_REPORT_MS = 2_000;
    private static final long HOURS = 3 * 3_600_000L;

    private final long seed;
    private final Random random;
    private long now;
    private long sequence;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final StringBuilder trace = new StringBuilder();
    private boolean healed;

    /** The log groups; a tid is in {@code groups.get(LogGroupOfTid.indexOf(tid, groups.size()))}. */
    private final List<SimGroup> groups = new ArrayList<>();
    private final TxnLogState.Retention retention;
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
    private final boolean[] reporting = new boolean[NODES.size()];
    private long nextProcessId = 1;
    /** How many times a group's members changed in this run. */
    private int membershipChanges;

    private final CoordinatorSettings settings;
    private final MetricRegistry registry = new MetricRegistry();

    private final SimParticipants participants;
    private final SimClients clients;

    final List<String> alarms = new ArrayList<>();

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
        double lostAppendReplyRate = random.nextDouble() * 0.1;
        // Retention and caches: often tiny, so outcomes leave the log and the leader's cache while
        // their tids are resubmitted; the memory of forgotten ids is either ample or nearly none
        // (then resubmits meet the participants' memory of runs, the last line).
        int[] outcomes = {3, 10, 50, 1_000_000};
        int[] forgottenIds = {0, 4, 100_000};
        int[] cache = {0, 3, 100_000};
        long[] ages = {Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, 3_000, 30_000};
        this.retention = new TxnLogState.Retention(outcomes[random.nextInt(outcomes.length)],
                ages[random.nextInt(ages.length)], forgottenIds[random.nextInt(forgottenIds.length)]);
        // Sometimes room for only three transactions waiting for their answer: most submissions are
        // answered OVERLOADED and retried, and a participant that is down turns away those that need it.
        this.settings = Workload.settings(random.nextInt(4) == 0 ? 3 : 10_000, cache[random.nextInt(cache.length)]);
        for (int node = 0; node < NODES.size(); node++) {
            processIds[node] = nextProcessId++;
            if (random.nextInt(6) == 0) {
                skewMs[node] = randomSkew();
            }
            processSkewMs[node] = skewMs[node];
            down[node] = node >= FIRST_NODES; // the spare runs once it joins
        }
        int groupCount = random.nextInt(3) == 0 ? 1 : 3;
        List<Integer> first = List.of(0, 1, 2);
        for (int g = 0; g < groupCount; g++) {
            groups.add(new SimGroup(this, g, new TxnLogState(retention, NODES.subList(0, FIRST_NODES)), first,
                    lostAppendReplyRate, alarms, CLOCK_REPORT_MS));
        }
        this.participants = new SimParticipants(this, dropRate, duplicateRate);
        this.clients = new SimClients(this);
        groups.forEach(SimGroup::newLeader);
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
                after(at, this::crashALeadersNode);
            } else {
                ServiceName s = ServiceName.values()[random.nextInt(4)];
                long down = 200 + random.nextInt(3_000);
                after(at, () -> participants.crash(s, down));
            }
        }
        if (random.nextInt(3) == 0) { // a node's disk is lost: it is replaced in a group, or re-added empty
            after(200 + random.nextInt(9_000), this::replaceAMember);
        }
        if (random.nextBoolean()) { // a group's leadership handed over (back to its preferred leader, in a node)
            for (int i = 1 + random.nextInt(3); i > 0; i--) {
                SimGroup g = groups.get(random.nextInt(groups.size()));
                boolean transferFails = random.nextInt(4) == 0;
                after(100 + random.nextInt(11_000), () -> g.handOver(transferFails));
            }
        }
        participants.resolveInDoubtEvery(500);
        for (int node = 0; node < FIRST_NODES; node++) {
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
        if (!clients.settled() || !participants.settled()) {
            return false;
        }
        for (SimGroup g : groups) {
            if (g.log.inFlightCount() != 0 || (g.leader() != null && g.leader().inFlight() != 0)) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------ the nodes and their leaders

    /** The engine of a group's leader on {@code node}, for {@code term}, appending through {@code log}. */
    CoordinatorEngine newEngine(int node, long term, EngineLog log, java.util.function.Consumer<String> onFenced) {
        return new CoordinatorEngine(NODES.get(node), term, new CoordinatorCore(settings, new Random(random.nextLong())),
                log, participants, new QueueThread(), new NodeMetrics(registry), () -> clockOf(node), onFenced);
    }

    /** The node leading a group crashes: every engine on it stops; it restarts after a while and elections follow. */
    private void crashALeadersNode() {
        if (healed) {
            return;
        }
        SimGroup g = groups.get(random.nextInt(groups.size()));
        int node = g.leaderNode();
        if (node < 0) {
            return; // an election is on
        }
        trace(NODES.get(node) + " crashes");
        down[node] = true;
        List<SimGroup> led = groups.stream().filter(x -> x.leaderNode() == node).toList();
        led.forEach(x -> x.loseLeader(NODES.get(node) + " crashed"));
        after(500 + random.nextInt(1_500), () -> {
            restartProcess(node);
            led.forEach(SimGroup::elect);
        });
    }

    /**
     * A member's disk is lost: in one group it is replaced by the spare node (which starts with a
     * fresh process and its own clock) or, when the spare is taken, taken out and added back
     * empty. Either way the group's log changes its members where a configuration entry would, and
     * a leader that left steps down.
     */
    private void replaceAMember() {
        if (healed) {
            return;
        }
        SimGroup g = groups.get(random.nextInt(groups.size()));
        List<Integer> members = g.members();
        int leaving = members.get(random.nextInt(members.size()));
        int spare = FIRST_NODES;
        boolean spareFree = groups.stream().noneMatch(x -> x.members().contains(spare));
        membershipChanges++;
        if (spareFree) {
            trace(NODES.get(leaving) + " is replaced by " + NODES.get(spare) + " in group " + g.index);
            restartProcess(spare);
            if (!reporting[spare]) {
                reportClockEvery(spare);
            }
            if (g.replaceMember(leaving, spare)) {
                g.stepDown(NODES.get(leaving) + " left the group");
            }
            return;
        }
        trace(NODES.get(leaving) + " lost its disk: out of group " + g.index + ", then back in, empty");
        g.removeMember(leaving);
        if (g.leaderNode() == leaving) {
            g.stepDown(NODES.get(leaving) + " left the group");
        }
        after(300 + random.nextInt(2_000), () -> {
            restartProcess(leaving);
            g.replaceMember(leaving, leaving);
        });
    }

    boolean isDown(int node) {
        return down[node];
    }

    String nodeId(int node) {
        return NODES.get(node);
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
        trace("machine clocks off true time by " + java.util.Arrays.toString(skewMs) + " ms; the processes read "
                + java.util.Arrays.toString(processSkewMs));
    }

    /** A batch as the node's process seals it: its id, its wall clock, its monotonic clock. */
    RecordBatch.Builder sealedBy(int node) {
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
     * The node's clock goes to every group's log: as a node holding a copy of each, or one that left
     * a group and still reports to it (a non-member's reading must change nothing).
     */
    private void reportClockEvery(int node) {
        reporting[node] = true;
        after(CLOCK_REPORT_MS, () -> {
            if (!down[node]) {
                RecordBatch report = sealedBy(node).build();
                for (SimGroup g : groups) {
                    if (!g.electing) {
                        g.report(report);
                    }
                }
            }
            reportClockEvery(node);
        });
    }

    /** See {@link LogHistory#checkRetentionKeptItsPromise}. */
    void checkRetentionKeptItsPromise(String tid, SubmitResult refusal) {
        groupOf(tid).history.checkRetentionKeptItsPromise(tid, refusal, now);
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

    /** Traces lines that mention the tid named by -Ddtm.sim.debug, or every line with {@code *} (none by default). */
    void debug(String line) {
        if (DEBUG_TID != null && (DEBUG_TID.equals("*") || line.contains(DEBUG_TID + "#")
                || line.contains(DEBUG_TID + " "))) {
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

    /** The group holding {@code tidOrAttempt} (every attempt of a tid is in the tid's group). */
    SimGroup groupOf(String tidOrAttempt) {
        return groups.get(LogGroupOfTid.indexOf(tidOrAttempt, groups.size()));
    }

    /** The log holding {@code tidOrAttempt}. */
    TxnLogState logOf(String tidOrAttempt) {
        return groupOf(tidOrAttempt).log;
    }

    TxnLogState.Retention retention() {
        return retention;
    }

    /** The engine of the leader of {@code tidOrAttempt}'s group, null while it has none. */
    CoordinatorEngine leaderOf(String tidOrAttempt) {
        return groupOf(tidOrAttempt).leader();
    }

    /** Every group's leader's engine now (groups without a leader left out). */
    List<CoordinatorEngine> leaders() {
        return groups.stream().map(SimGroup::leader).filter(java.util.Objects::nonNull).toList();
    }

    int groupCount() {
        return groups.size();
    }

    int membershipChanges() {
        return membershipChanges;
    }

    /** Leaderships handed over after a drain, over every group. */
    int handOvers() {
        return groups.stream().mapToInt(g -> g.handOvers).sum();
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
        return groupOf(tid).history.firstDigest(tid);
    }

    /** Whether the log ever applied a Begin of the attempt id. */
    boolean everBegun(String attemptId) {
        return groupOf(attemptId).history.everBegun(attemptId);
    }

    /** Whether a COMMIT was ever applied for the attempt id (its outcome may have left the log since). */
    boolean everCommitted(String attemptId) {
        return groupOf(attemptId).history.everCommitted(attemptId);
    }

    /** One of the tid's decided attempts was begun again as new: the log had no trace of it left. */
    boolean rerunBeyondMemory(String tid) {
        return groupOf(tid).history.rerunBeyondMemory(tid);
    }

    ParticipantCore participant(ServiceName s) {
        return participants.core(s);
    }

    LocalState stateAt(ServiceName s, String attemptId) {
        return participants.stateAt(s, attemptId);
    }
}
