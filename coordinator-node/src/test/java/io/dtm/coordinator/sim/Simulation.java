package io.dtm.coordinator.sim;

import com.google.protobuf.MessageLite;
import io.dtm.config.ServiceName;
import io.dtm.coordinator.core.Action;
import io.dtm.coordinator.core.CoordinatorCore;
import io.dtm.coordinator.core.CoordinatorSettings;
import io.dtm.coordinator.core.TxnRequest;
import io.dtm.log.TxnLogState;
import io.dtm.participant.InDoubtResolver;
import io.dtm.participant.ParticipantCore;
import io.dtm.participant.domain.DomainServices;
import io.dtm.participant.domain.RecordWriter;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * The whole protocol on one event queue, one virtual clock and one seeded random: a coordinator
 * leader (the real {@link CoordinatorCore}), the replicated log (the real {@link TxnLogState},
 * with terms and fencing), the four participants (the real {@link ParticipantCore}s and domain
 * services, with a durable "disk"), their in-doubt rule, and clients that resubmit like the real
 * client. The network drops, duplicates, delays and reorders messages; the leader and participants
 * crash and come back. Same seed, same run: a failure replays exactly.
 */
final class Simulation {
    static final long PREPARE_TIMEOUT_MS = 200;
    static final long IN_DOUBT_MS = 3_000;
    static final long CLIENT_RETRY_MS = 1_500;

    private final long seed;
    private final Random random;
    private long now;
    private long sequence;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final StringBuilder trace = new StringBuilder();

    // the log: one write-once table and the current Raft term; retention drawn from the seed, often
    // tiny. One virtual clock stands for every node's, so the log is a one-member cluster whose member
    // seals every batch: its clock is log time.
    private static final String LOG_NODE = "n1";
    private final TxnLogState log;
    private long term = 1;
    /** The coordinator's settings: its answer cache drawn from the seed, often tiny or none. */
    private final CoordinatorSettings settings;
    /** Every attempt id a decision was ever applied for (outcomes leave the log; this does not). */
    private final java.util.Set<String> everDecided = new java.util.HashSet<>();
    private final java.util.Set<String> everCommitted = new java.util.HashSet<>();
    /** The digest of the first Begin applied for each tid's first attempt: which request the tid is. */
    private final Map<String, Long> firstDigest = new HashMap<>();
    /** Answers that contradicted an earlier one after the log had lost the earlier outcome altogether. */
    int toleratedBeyondMemory;
    /** Answers "no longer retained". */
    int retentionRefusals;

    // the leader: a core per epoch; messages for an older epoch are lost with it
    private CoordinatorCore leader;
    private int epoch;
    private boolean electing;
    private long wakeupAt = Long.MAX_VALUE;

    // participants: in-memory cores over durable disks
    private final Map<ServiceName, Map<String, byte[]>> disks = new EnumMap<>(ServiceName.class);
    private final Map<ServiceName, ParticipantCore> participants = new EnumMap<>(ServiceName.class);

    // clients: what each tid asked (several requests when a tid is reused) and what it was told
    private final Map<String, SubmitRequest> requests = new LinkedHashMap<>();
    private final Map<String, List<SubmitRequest>> candidates = new HashMap<>();
    /** The first client's final answer per tid (every tid's first client must get one). */
    final Map<String, SubmitResult> answers = new HashMap<>();
    /** Every COMMITTED or ABORTED answer any client got for the tid, in order. */
    private final Map<String, List<SubmitResult>> told = new HashMap<>();
    /** Late clients still waiting for an answer. */
    private int lateClientsWaiting;
    /** What the core reported as impossible (a participant contradicting the log). */
    final List<String> alarms = new ArrayList<>();

    // fault knobs, drawn from the seed
    private final double dropRate;
    private final double duplicateRate;
    private final double lostAppendReplyRate;

    private record Event(long at, long seq, Runnable run) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    Simulation(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
        this.dropRate = random.nextDouble() * 0.15;
        this.duplicateRate = random.nextDouble() * 0.15;
        this.lostAppendReplyRate = random.nextDouble() * 0.1;
        // Retention and caches: often tiny, so outcomes leave the log and the leader's cache while
        // their tids are resubmitted; the memory of forgotten ids is either ample or nearly none
        // (then resubmits meet the participants' memory of runs, the last line).
        int[] outcomes = {3, 10, 50, 1_000_000};
        int[] forgottenIds = {0, 4, 100_000};
        int[] cache = {0, 3, 100_000};
        long[] ages = {Long.MAX_VALUE / 4, Long.MAX_VALUE / 4, 3_000};
        this.log = new TxnLogState(new TxnLogState.Retention(outcomes[random.nextInt(outcomes.length)],
                ages[random.nextInt(ages.length)], forgottenIds[random.nextInt(forgottenIds.length)]), List.of(LOG_NODE));
        this.settings = Workload.settings(cache[random.nextInt(cache.length)]);
        for (ServiceName s : ServiceName.values()) {
            disks.put(s, new HashMap<>());
            participants.put(s, boot(s));
        }
        leader = newLeader();
    }

    // ------------------------------------------------------------------ the run

    /** Runs the workload with faults, heals, lets everything settle, and checks the invariants. */
    void run(int transactions, int crashes) {
        scheduleWorkload(transactions);
        for (int i = 0; i < crashes; i++) {
            long at = 100 + random.nextInt(8_000);
            if (random.nextBoolean()) {
                at(at, this::crashLeader);
            } else {
                ServiceName s = ServiceName.values()[random.nextInt(4)];
                at(at, () -> crashParticipant(s, 200 + random.nextInt(3_000)));
            }
        }
        for (ServiceName s : ServiceName.values()) {
            every(s, 500);
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

    private boolean healed;

    private boolean settled() {
        if (clientsWaiting > 0) {
            return false;
        }
        for (ParticipantCore p : participants.values()) {
            if (p == null || !p.preparedSince(Long.MAX_VALUE).isEmpty()) {
                return false;
            }
        }
        return log.inFlightCount() == 0 && (leader == null || leader.inFlight() == 0);
    }

    // ------------------------------------------------------------------ workload

    private void scheduleWorkload(int transactions) {
        // Late resubmits of a different request need the log's memory of forgotten ids: past it, a
        // different request that needs none of the first one's services runs as new (documented).
        boolean otherRequests = log.retention().maxForgotten() >= transactions * TxnIds.MAX_ATTEMPTS;
        for (int i = 0; i < transactions; i++) {
            String tid = "t" + i;
            SubmitRequest request = Workload.request(tid, random);
            requests.put(tid, request);
            candidates.computeIfAbsent(tid, t -> new ArrayList<>()).add(request);
            long at = random.nextInt(8_000);
            Client first = new Client(tid, request, true);
            at(at, () -> submit(first));
            if (random.nextInt(8) == 0) {
                Client again = new Client(tid, request, false); // a duplicate submission, soon after
                at(at + random.nextInt(4_000), () -> submit(again));
            }
            if (random.nextInt(4) == 0) {
                // The same request again, at any time: while running, after its answer, after its
                // outcome left the leader's cache and the log (retention is often tiny here).
                Client late = new Client(tid, request, false);
                at(at + random.nextInt(60_000), () -> submit(late));
            }
            if (otherRequests && random.nextInt(25) == 0) {
                SubmitRequest other = Workload.request(tid, random);
                candidates.get(tid).add(other);
                Client reuser = new Client(tid, other, false); // the same tid, another request
                at(at + random.nextInt(random.nextBoolean() ? 4_000 : 60_000), () -> submit(reuser));
            }
        }
    }

    /** One client's submission of one request under a tid, retried until it has a final answer. */
    private final class Client {
        final String tid;
        final SubmitRequest request;
        final long digest;
        /** The tid's first client: every tid's must be answered (liveness). */
        final boolean first;
        boolean done;

        Client(String tid, SubmitRequest request, boolean first) {
            this.tid = tid;
            this.request = request;
            this.digest = Invariants.digest(request);
            this.first = first;
            clientsWaiting++;
        }
    }

    private int clientsWaiting;
    /** Clients waiting for a Reply of a leader epoch, by "epoch tid". */
    private final Map<String, List<Client>> joined = new HashMap<>();

    private void submit(Client c) {
        if (c.done) {
            return;
        }
        if (leader == null) {
            at(now + CLIENT_RETRY_MS, () -> submit(c));
            return;
        }
        TxnRequest valid = ((TxnRequest.Valid) TxnRequest.validate(c.request, settings)).request();
        CoordinatorCore.Submitted s = leader.submit(valid, now);
        debug(c.tid + " submitted (digest " + valid.digest() + ", " + valid.serviceIds() + "): "
                + s.getClass().getSimpleName());
        if (s instanceof CoordinatorCore.Answered a) {
            if (a.result().getStatus() != SubmitResult.Status.OVERLOADED) {
                deliver(c, a.result());
                return;
            }
        } else {
            joined.computeIfAbsent(epoch + " " + c.tid, k -> new ArrayList<>()).add(c);
            if (s instanceof CoordinatorCore.Started started) {
                actions(started.actions(), epoch);
            }
        }
        // The client gives up on this attempt after a while and submits again (the real client does).
        at(now + CLIENT_RETRY_MS * 2, () -> submit(c));
    }

    private void deliver(Client c, SubmitResult result) {
        if (c.done) {
            return;
        }
        c.done = true;
        clientsWaiting--;
        debug(c.tid + " told " + result.getStatus() + " " + result.getReason());
        if (c.first) {
            answers.put(c.tid, result);
        }
        answered.add(new Answer(c.tid, c.digest, result, beyondMemory(c.tid)));
        if (result.getStatus() == SubmitResult.Status.REJECTED && result.getReason().contains("no longer retained")) {
            retentionRefusals++;
        }
        if (result.getStatus() != SubmitResult.Status.COMMITTED && result.getStatus() != SubmitResult.Status.ABORTED) {
            return;
        }
        List<SubmitResult> before = told.computeIfAbsent(c.tid, t -> new ArrayList<>());
        for (SubmitResult earlier : before) {
            if (earlier.getStatus() != result.getStatus()) {
                if (beyondMemory(c.tid)) {
                    toleratedBeyondMemory++; // the documented limit: no memory of the tid is left anywhere in the log
                } else {
                    alarms.add(c.tid + " answered " + earlier.getStatus() + " then " + result.getStatus() + " ("
                            + result.getReason() + ")");
                }
                break;
            }
        }
        before.add(result);
    }

    /**
     * What a client was told, with the digest of the request it sent; {@code beyondMemory}: the log
     * had lost every trace of one of the tid's decided attempts when it was told.
     */
    record Answer(String tid, long digest, SubmitResult result, boolean beyondMemory) {
    }

    final List<Answer> answered = new ArrayList<>();

    /** Tids one of whose decided attempts the log began again as new: past its memory of forgotten ids. */
    private final java.util.Set<String> rerunBeyondMemory = new java.util.HashSet<>();

    private boolean beyondMemory(String tid) {
        return rerunBeyondMemory.contains(tid);
    }

    // ------------------------------------------------------------------ the leader and its actions

    private CoordinatorCore newLeader() {
        epoch++;
        CoordinatorCore core = new CoordinatorCore(settings, new Random(random.nextLong()));
        List<TxnState> inFlight = new ArrayList<>();
        for (TxnState s : log.inFlightTransactions()) {
            inFlight.add(s);
        }
        leader = core;
        wakeupAt = Long.MAX_VALUE;
        actions(core.recover(inFlight, now), epoch);
        return core;
    }

    private void crashLeader() {
        if (leader == null || healed) {
            return;
        }
        trace("leader crashes (epoch " + epoch + ")");
        leader = null;
        electing = true;
        at(now + 500 + random.nextInt(1_500), () -> {
            term++;
            electing = false;
            trace("new leader, term " + term);
            newLeader();
        });
    }

    private void actions(List<Action> actions, int from) {
        for (Action a : actions) {
            if (a instanceof Action.Append append) {
                appendLater(append.attemptId(), append.record(), from);
            } else if (a instanceof Action.SendPrepare p) {
                rpc(p.service(), ParticipantRequest.newBuilder().setPrepare(p.prepare()).build(), p.prepare().getTid(),
                        from);
            } else if (a instanceof Action.SendCommit c) {
                rpc(c.service(), ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setTid(c.attemptId()))
                        .build(), c.attemptId(), from);
            } else if (a instanceof Action.SendRollback r) {
                rpc(r.service(), ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder()
                        .setTid(r.attemptId()).setUnlessCommitted(r.fence()).setRunId(r.runId())).build(), r.attemptId(),
                        from);
            } else if (a instanceof Action.ReadLog r) {
                TxnState state = log.query(r.attemptId());
                toLeader(from, delay(), core -> core.logRead(r.attemptId(), state, now));
            } else if (a instanceof Action.Reply r) {
                at(now + delay(), () -> {
                    List<Client> waiting = joined.remove(from + " " + r.tid());
                    if (waiting != null) {
                        waiting.forEach(c -> deliver(c, r.result()));
                    }
                });
            } else if (a instanceof Action.Deposed) {
                if (leader != null && epoch == from) {
                    crashLeader();
                }
            } else if (a instanceof Action.Alarm alarm) {
                alarms.add(alarm.attemptId() + ": " + alarm.message());
                trace("ALARM " + alarm.attemptId() + ": " + alarm.message());
            }
        }
        if (leader != null && epoch == from) {
            long next = leader.nextWakeupMs();
            if (next < wakeupAt) {
                wakeupAt = next;
                at(next, () -> {
                    if (epoch == from && leader != null) {
                        wakeupAt = Long.MAX_VALUE;
                        actions(leader.tick(now), from);
                    }
                });
            }
        }
    }

    /** An event for the leader of epoch {@code from}: lost if that leader is gone. */
    private void toLeader(int from, long after, java.util.function.Function<CoordinatorCore, List<Action>> event) {
        at(now + after, () -> {
            if (leader != null && epoch == from) {
                actions(event.apply(leader), from);
            }
        });
    }

    private void appendLater(String attemptId, TxnRecord record, int from) {
        long proposerTerm = term;
        at(now + delay(), () -> {
            if (leader == null || epoch != from) {
                // A deposed leader's append still reaches the log through the new leader: fenced.
                if (!electing) {
                    apply(record, proposerTerm);
                }
                return;
            }
            RecordResult result = apply(record, proposerTerm);
            if (random.nextDouble() < lostAppendReplyRate && !healed) {
                toLeader(from, delay(), core -> core.appendFailed(attemptId, record, now));
            } else {
                toLeader(from, delay(), core -> applied(core, attemptId, record, result));
            }
        });
    }

    private RecordResult apply(TxnRecord record, long proposerTerm) {
        BatchResult r = log.apply(RecordBatch.newBuilder().setTimestampMs(now).setNodeId(LOG_NODE)
                .setProposerTerm(proposerTerm).addRecords(record).build(), term);
        RecordResult.Disposition disposition = r.getResults(0).getDisposition();
        if (record.hasBegin() && disposition == RecordResult.Disposition.DUPLICATE
                && record.getBegin().getTid().endsWith("#1")) {
            // A Begin after an early ABORT (no Begin before it) claims the id for its request.
            String attempt = record.getBegin().getTid();
            firstDigest.putIfAbsent(attempt.substring(0, attempt.length() - 2), record.getBegin().getRequestDigest());
        }
        if (disposition == RecordResult.Disposition.APPLIED) {
            if (record.hasDecide()) {
                everDecided.add(record.getDecide().getTid());
                if (record.getDecide().getOutcome() == Outcome.COMMIT) {
                    everCommitted.add(record.getDecide().getTid());
                }
            } else if (record.hasBegin()) {
                String attempt = record.getBegin().getTid();
                String tid = attempt.substring(0, attempt.lastIndexOf('#'));
                if (attempt.endsWith("#1")) {
                    firstDigest.putIfAbsent(tid, record.getBegin().getRequestDigest());
                }
                if (everDecided.contains(attempt)) {
                    rerunBeyondMemory.add(tid); // decided before, and the log began it as new: it had no trace left
                }
            }
        }
        debug("log " + record.toString().replace('\n', ' ') + " (term " + proposerTerm + ") -> "
                + r.getResults(0).getDisposition() + " " + r.getResults(0).getOutcome());
        return r.getResults(0);
    }

    private List<Action> applied(CoordinatorCore core, String attemptId, TxnRecord record, RecordResult result) {
        return switch (record.getRecordCase()) {
            case BEGIN -> core.beginApplied(attemptId, result, now);
            case DECIDE -> core.decideApplied(attemptId, result, now);
            case END -> core.endApplied(attemptId, result, now);
            case RECORD_NOT_SET -> throw new IllegalStateException("empty record");
        };
    }

    // ------------------------------------------------------------------ the network to participants

    private void rpc(ServiceName service, ParticipantRequest request, String attemptId, int from) {
        boolean lostRequest = !healed && random.nextDouble() < dropRate;
        boolean lostReply = !healed && random.nextDouble() < dropRate;
        long there = delay();
        long back = delay();
        ParticipantResponse[] reply = new ParticipantResponse[1];
        if (!lostRequest) {
            at(now + there, () -> reply[0] = deliver(service, request));
            if (!healed && random.nextDouble() < duplicateRate) {
                at(now + there + delay(), () -> deliver(service, request)); // a duplicate, its reply lost
            }
        }
        if (lostRequest || lostReply || there + back >= PREPARE_TIMEOUT_MS) {
            toLeader(from, PREPARE_TIMEOUT_MS, core -> failed(core, service, request, attemptId));
            return;
        }
        toLeader(from, there + back, core -> reply[0] == null
                ? failed(core, service, request, attemptId)
                : answered(core, service, request, attemptId, reply[0]));
    }

    private ParticipantResponse deliver(ServiceName service, ParticipantRequest request) {
        ParticipantCore p = participants.get(service);
        if (p == null) {
            return null; // down
        }
        ParticipantResponse r = p.handle(request, now, false, writer(service));
        debug(service.id() + " got " + request.getBodyCase() + " " + tidOf(request) + " -> "
                + r.toString().replace('\n', ' '));
        return r;
    }

    private static String tidOf(ParticipantRequest r) {
        return r.hasPrepare() ? r.getPrepare().getTid() + " digest " + r.getPrepare().getRequestDigest()
                : r.hasCommit() ? r.getCommit().getTid() : r.hasRollback() ? r.getRollback().getTid() : "";
    }

    private static final String DEBUG_TID = System.getProperty("dtm.sim.debug");

    /** Traces lines that mention the tid named by -Ddtm.sim.debug (none by default). */
    private void debug(String line) {
        if (DEBUG_TID != null && (line.contains(DEBUG_TID + "#") || line.contains(DEBUG_TID + " "))) {
            trace(line);
        }
    }

    private List<Action> answered(CoordinatorCore core, ServiceName service, ParticipantRequest request,
            String attemptId, ParticipantResponse reply) {
        if (reply.hasError()) {
            ErrorCode code = ErrorCode.of(reply.getError());
            if (request.hasPrepare()) {
                return core.prepareFailed(attemptId, service, code.name(), now);
            }
            return code.retriable() ? core.phase2Failed(attemptId, service, now)
                    : core.phase2Refused(attemptId, service, reply.getError().getMessage(), now);
        }
        if (request.hasPrepare()) {
            return core.voted(attemptId, service, reply.getVote(), now);
        }
        return core.acknowledged(attemptId, service, reply.getAck().getState(), reply.getAck().getEarlierRun(), now);
    }

    private List<Action> failed(CoordinatorCore core, ServiceName service, ParticipantRequest request,
            String attemptId) {
        return request.hasPrepare() ? core.prepareFailed(attemptId, service, "timed out", now)
                : core.phase2Failed(attemptId, service, now);
    }

    // ------------------------------------------------------------------ participants

    private ParticipantCore boot(ServiceName service) {
        ParticipantCore core = new ParticipantCore(DomainServices.create(service));
        try {
            for (Map.Entry<String, byte[]> e : disks.get(service).entrySet()) {
                core.load(e.getKey(), e.getValue());
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        core.finishLoading(now, writer(service));
        return core;
    }

    private RecordWriter writer(ServiceName service) {
        Map<String, byte[]> disk = disks.get(service);
        return new RecordWriter() {
            @Override
            public void put(String key, MessageLite value) {
                disk.put(key, value.toByteArray());
            }

            @Override
            public void delete(String key) {
                disk.remove(key);
            }
        };
    }

    private void crashParticipant(ServiceName service, long downMs) {
        if (participants.get(service) == null || healed) {
            return;
        }
        trace(service.id() + " crashes for " + downMs + " ms");
        participants.put(service, null);
        at(now + downMs, () -> participants.put(service, boot(service)));
    }

    /** The in-doubt rule of a participant, every {@code periodMs}, asking the log directly. */
    private void every(ServiceName service, long periodMs) {
        at(now + periodMs, () -> {
            ParticipantCore p = participants.get(service);
            if (p != null) {
                for (ParticipantCore.InDoubt d : p.preparedSince(now - IN_DOUBT_MS)) {
                    TxnState state = log.query(d.tid());
                    if (state.getOutcome() == Outcome.UNDECIDED) {
                        apply(io.dtm.log.LogRecords.decide(d.tid(), Outcome.ABORT, service.id() + ": in doubt",
                                "participant:" + service.id()), 0);
                        state = log.query(d.tid());
                    }
                    Outcome outcome = InDoubtResolver.outcomeFor(service.id(), d.requestDigest(), state);
                    ParticipantRequest r = outcome == Outcome.COMMIT
                            ? ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setTid(d.tid())).build()
                            : ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder().setTid(d.tid())).build();
                    p.handle(r, now, false, writer(service));
                }
            }
            every(service, periodMs);
        });
    }

    // ------------------------------------------------------------------ plumbing

    private void at(long time, Runnable run) {
        queue.add(new Event(time, sequence++, run));
    }

    private long delay() {
        return 1 + random.nextInt(healed ? 10 : 60);
    }

    private void trace(String line) {
        if (trace.length() < 200_000) {
            trace.append(now).append(" ms: ").append(line).append('\n');
        }
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

    /** The current leader's core, null while there is none. */
    CoordinatorCore leader() {
        return leader;
    }

    Map<String, SubmitRequest> requests() {
        return requests;
    }

    /** The digest of the request whose Begin of {@code tid#1} the log applied first (0: none). */
    long firstDigest(String tid) {
        return firstDigest.getOrDefault(tid, 0L);
    }

    /** Whether a COMMIT was ever applied for the attempt id (its outcome may have left the log since). */
    boolean everCommitted(String attemptId) {
        return everCommitted.contains(attemptId);
    }

    /** Every request submitted under {@code tid}. */
    List<SubmitRequest> candidates(String tid) {
        return candidates.get(tid);
    }

    ParticipantCore participant(ServiceName s) {
        return participants.get(s);
    }

    /** The local state of an attempt at a participant. */
    LocalState stateAt(ServiceName s, String attemptId) {
        return participants.get(s).localTxn(attemptId).getState();
    }
}
