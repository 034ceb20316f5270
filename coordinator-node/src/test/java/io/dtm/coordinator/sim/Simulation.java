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
import io.dtm.protocol.log.TxnState;
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

    // the log: one write-once table and the current Raft term. One virtual clock stands for every
    // node's, so the log is a one-member cluster whose member seals every batch: its clock is log time.
    private static final String LOG_NODE = "n1";
    private final TxnLogState log = new TxnLogState(new TxnLogState.Retention(1_000_000, Long.MAX_VALUE / 4),
            List.of(LOG_NODE));
    private long term = 1;

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
    final Map<String, SubmitResult> answers = new HashMap<>();
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
        if (answers.size() < requests.size()) {
            return false;
        }
        for (ParticipantCore p : participants.values()) {
            if (p == null || !p.preparedSince(Long.MAX_VALUE).isEmpty()) {
                return false;
            }
        }
        return log.inFlightCount() == 0;
    }

    // ------------------------------------------------------------------ workload

    private void scheduleWorkload(int transactions) {
        for (int i = 0; i < transactions; i++) {
            String tid = "t" + i;
            SubmitRequest request = Workload.request(tid, random);
            requests.put(tid, request);
            candidates.computeIfAbsent(tid, t -> new ArrayList<>()).add(request);
            long at = random.nextInt(8_000);
            at(at, () -> submit(tid, request));
            if (random.nextInt(8) == 0) {
                at(at + random.nextInt(4_000), () -> submit(tid, request)); // a duplicate submission
            }
            if (random.nextInt(25) == 0) {
                SubmitRequest other = Workload.request(tid, random);
                candidates.get(tid).add(other);
                at(at + random.nextInt(4_000), () -> submitOther(tid, other)); // the same tid, another request
            }
        }
    }

    private final Map<String, Integer> waitingEpoch = new HashMap<>();

    private void submit(String tid, SubmitRequest request) {
        if (answers.containsKey(tid) && answers.get(tid).getStatus() != SubmitResult.Status.UNKNOWN) {
            return;
        }
        if (leader == null) {
            at(now + CLIENT_RETRY_MS, () -> submit(tid, request));
            return;
        }
        TxnRequest valid = ((TxnRequest.Valid) TxnRequest.validate(request, Workload.SETTINGS)).request();
        CoordinatorCore.Submitted s = leader.submit(valid, now);
        debug(tid + " submitted (digest " + valid.digest() + ", " + valid.serviceIds() + "): "
                + s.getClass().getSimpleName());
        if (s instanceof CoordinatorCore.Answered a) {
            if (!a.overloaded()) {
                answer(tid, a.result());
            }
        } else {
            waitingEpoch.put(tid, epoch);
            if (s instanceof CoordinatorCore.Started started) {
                actions(started.actions(), epoch);
            }
        }
        // The client gives up on this attempt after a while and submits again (the real client does).
        at(now + CLIENT_RETRY_MS * 2, () -> {
            if (!answers.containsKey(tid)) {
                submit(tid, request);
            }
        });
    }

    /** Another client reuses a tid with a different request: it must be REJECTED, never run. */
    private void submitOther(String tid, SubmitRequest other) {
        if (leader == null) {
            return;
        }
        TxnRequest.Validated v = TxnRequest.validate(other, Workload.SETTINGS);
        CoordinatorCore.Submitted s = leader.submit(((TxnRequest.Valid) v).request(), now);
        debug(tid + " submitted with another request (digest " + ((TxnRequest.Valid) v).request().digest() + ", "
                + ((TxnRequest.Valid) v).request().serviceIds() + "): " + s.getClass().getSimpleName());
        if (s instanceof CoordinatorCore.Answered a && a.result().getStatus() == SubmitResult.Status.REJECTED) {
            return;
        }
        if (s instanceof CoordinatorCore.Started started) {
            // This leader never heard of the tid: the other request runs, and the log decides which
            // request the tid is (the first Begin logged wins; the other is rejected).
            waitingEpoch.put(tid, epoch);
            actions(started.actions(), epoch);
        } else if (s instanceof CoordinatorCore.Answered a && a.result().getStatus() != SubmitResult.Status.REJECTED
                && Invariants.digest(other) != Invariants.digest(requests.get(tid))) {
            // (the workload may draw the very same request twice: then it is a duplicate, not another)
            alarms.add(tid + " with another request got " + a.result().getStatus() + " instead of REJECTED");
        }
    }

    private void answer(String tid, SubmitResult result) {
        if (result.getStatus() == SubmitResult.Status.REJECTED && result.getReason().contains("different request")) {
            return; // the other request's rejection, not this tid's answer
        }
        SubmitResult earlier = answers.putIfAbsent(tid, result);
        if (earlier != null && earlier.getStatus() != result.getStatus()) {
            alarms.add(tid + " answered " + earlier.getStatus() + " then " + result.getStatus());
        }
    }

    // ------------------------------------------------------------------ the leader and its actions

    private CoordinatorCore newLeader() {
        epoch++;
        CoordinatorCore core = new CoordinatorCore(Workload.SETTINGS, new Random(random.nextLong()));
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
                        .setTid(r.attemptId()).setUnlessCommitted(r.fence())).build(), r.attemptId(), from);
            } else if (a instanceof Action.ReadLog r) {
                TxnState state = log.query(r.attemptId());
                toLeader(from, delay(), core -> core.logRead(r.attemptId(), state, now));
            } else if (a instanceof Action.Reply r) {
                at(now + delay(), () -> {
                    if (waitingEpoch.getOrDefault(r.tid(), -1) == from || !answers.containsKey(r.tid())) {
                        answer(r.tid(), r.result());
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
        return core.acknowledged(attemptId, service, reply.getAck().getState(), now);
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

    Map<String, SubmitRequest> requests() {
        return requests;
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
