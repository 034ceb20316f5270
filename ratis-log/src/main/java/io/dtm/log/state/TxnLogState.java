package io.dtm.log.state;

import io.dtm.protocol.AttemptId;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.Begin;
import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.Decide;
import io.dtm.protocol.log.End;
import io.dtm.protocol.log.LogStats;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The transaction table that the replicated log maintains: which transactions are in flight, which
 * outcome stands for each, and a bounded memory of recent outcomes.
 *
 * <p>Pure and deterministic: no I/O, no threads, no clock of its own, so every replica that applies
 * the same entries holds the same state. Not thread-safe; the state machine serialises access.
 *
 * <p>Time ("log time", what retention by age measures) comes only from the entries, and no
 * minority of skewed clocks can move it ({@link LogClock}). Each batch carries the clock reading
 * of the node that sealed it ({@code RecordBatch.timestamp_ms}, {@code node_id}); every node also
 * appends a clock-only batch every few seconds ({@link io.dtm.log.raft.ClockReporter}). The table knows the
 * cluster's members (configured node ids, the same on every replica) and keeps each member's
 * latest reading in log order. After each batch the candidate is the largest T that a majority
 * (n/2+1 of n members) have a latest reading of at least T: the middle one of 3, the lower median
 * of an even n. A member that never reported has no reading: until a majority has reported there
 * is no candidate and log time stays put (0 on a new log). Log time is the largest candidate so
 * far, so it never moves backwards; readings of non-members (a tool's empty id) are ignored,
 * their records applied all the same. One member of 3 (two of 5) hours ahead or behind thus
 * neither evicts young outcomes nor stops eviction by age. An outcome that ended while log time
 * was 0 counts as ended at the first log time a majority establishes (against 0 it would be
 * forgotten at once).
 *
 * <p>Transitions of one tid (an attempt id):
 * <pre>
 *   UNKNOWN --Begin--> IN_FLIGHT --Decide--> DECIDED --End--> ENDED --(retention)--> FORGOTTEN --(memory)--> UNKNOWN
 *   UNKNOWN --Decide ABORT--> ENDED   (an in-doubt participant aborting a tid whose Begin was lost)
 *   DECIDED (a forgotten re-run's ABORT) --End--> FORGOTTEN
 * </pre>
 * A decision is write-once: the first Decide applied for a tid wins and every later one is a
 * duplicate that learns the standing outcome. Records that contradict the table (COMMIT without a
 * Begin, End before a decision, a Begin of a FORGOTTEN id) are refused and change nothing.
 *
 * <p>Why FORGOTTEN: the outcome of an ended attempt is kept for the retention window only, but an
 * id that ran must never run again as if it were new — a resubmitted tid would then be answered
 * with the outcome of a second run, which need not be the first's. So an evicted outcome leaves a
 * fingerprint ({@link ForgottenIds}) for {@code maxForgotten} more evictions, and a Begin of it is
 * refused: the coordinator answers "the outcome of tid X is no longer retained". Past that memory,
 * the participants are the last line: they keep every attempt they finished and refuse to prepare
 * it again under another run id (Begin.run_id), and the coordinator ends such a re-run with an
 * ABORT marked {@code forgotten}, which only undoes the re-run and ends FORGOTTEN again.
 *
 * <p>Memory, measured by {@code TxnLogStateFootprintTest}: see docs/ARCHITECTURE.md, "Log state and numbers".
 */
public final class TxnLogState {

    /**
     * Retention bounds for ended transactions: at most {@code maxOutcomes} outcomes, none older than
     * {@code maxAgeMs} of log time; and the ids of at most {@code maxForgotten} more, whose outcome
     * was dropped, remembered as used.
     */
    public record Retention(int maxOutcomes, long maxAgeMs, int maxForgotten) {
        /** The default memory of forgotten ids (about 19 bytes each: ForgottenIds). */
        public static final int DEFAULT_MAX_FORGOTTEN = 1_000_000;

        public Retention {
            if (maxOutcomes < 1 || maxAgeMs < 1 || maxForgotten < 0) {
                throw new IllegalArgumentException("retention bounds must be positive: " + maxOutcomes + ", " + maxAgeMs
                        + ", " + maxForgotten);
            }
        }

        public Retention(int maxOutcomes, long maxAgeMs) {
            this(maxOutcomes, maxAgeMs, DEFAULT_MAX_FORGOTTEN);
        }
    }

    private final Retention retention;
    /** Begun and not ended, in Begin order. */
    private final LinkedHashMap<String, InFlightTxn> inFlight = new LinkedHashMap<>();
    /** Ended, in End order, which is also log-time order: eviction takes from the head. */
    private final LinkedHashMap<String, RetainedOutcome> retained = new LinkedHashMap<>();
    /** Ids whose outcome was dropped, remembered as used. */
    private final ForgottenIds forgotten;
    /** Participant names and proposers repeat across millions of transactions: keep one copy. */
    private final Map<String, String> canonical = new HashMap<>();
    private final LogClock clock;

    /**
     * @param members the cluster's node ids (from the cluster configuration, the same on every
     *                replica): only their clock readings move log time
     */
    public TxnLogState(Retention retention, Collection<String> members) {
        this.retention = Objects.requireNonNull(retention);
        this.forgotten = new ForgottenIds(retention.maxForgotten());
        this.clock = new LogClock(members);
    }

    /**
     * Applies every record of a batch in order; results[i] belongs to records[i]. {@code entryTerm}
     * is the Raft term of the entry carrying the batch: a batch proposed by a coordinator of another
     * term (a deposed leader whose records reached the new leader) is refused as a whole.
     */
    public BatchResult apply(RecordBatch batch, long entryTerm) {
        // A fenced batch's reading is still its node's clock: it counts like any other.
        long before = clock.nowMs();
        if (clock.observe(batch.getNodeId(), batch.getTimestampMs()) && before == 0) {
            restampEndedBeforeLogTimeWasKnown();
        }
        BatchResult.Builder out = BatchResult.newBuilder();
        long proposerTerm = batch.getProposerTerm();
        boolean stale = proposerTerm != 0 && proposerTerm != entryTerm;
        for (TxnRecord record : batch.getRecordsList()) {
            out.addResults(stale
                    ? RecordResult.newBuilder().setDisposition(Disposition.FENCED).setStatus(TxnStatus.UNKNOWN)
                            .setDetail("stale coordinator: proposed in term " + proposerTerm + ", logged in term "
                                    + entryTerm)
                            .build()
                    : apply(record));
        }
        evictExpired();
        return out.build();
    }

    private RecordResult apply(TxnRecord record) {
        return switch (record.getRecordCase()) {
            case BEGIN -> begin(record.getBegin());
            case DECIDE -> decide(record.getDecide());
            case END -> end(record.getEnd());
            case RECORD_NOT_SET -> refused("empty record");
        };
    }

    private RecordResult begin(Begin begin) {
        String tid = begin.getAttemptId();
        if (tid.isEmpty()) {
            return refused("Begin without a tid");
        }
        if (begin.getParticipantsCount() == 0) {
            return refused("Begin without participants");
        }
        InFlightTxn txn = inFlight.get(tid);
        if (txn != null) {
            if (!sameDigest(txn.requestDigest, begin.getRequestDigest())) {
                return result(Disposition.REFUSED, txn, "already begun with a different request");
            }
            if (Arrays.asList(txn.participants).equals(begin.getParticipantsList())) {
                // (a retried Begin: it must learn what the first one would have)
                return result(Disposition.DUPLICATE, txn, "already begun").toBuilder()
                        .setNeverDecided(forgotten.dropped() == 0).build();
            }
            return result(Disposition.REFUSED, txn,
                    "already begun with participants " + Arrays.toString(txn.participants));
        }
        RetainedOutcome ended = retained.get(tid);
        if (ended != null) {
            if (!sameDigest(ended.requestDigest(), begin.getRequestDigest())) {
                return result(Disposition.REFUSED, ended, "already ended, with a different request");
            }
            if (ended.requestDigest() == 0 && begin.getRequestDigest() != 0) {
                // Aborted before its Begin arrived (an early ABORT): the first Begin says whose id it
                // is, so that another request under the same id is refused from now on.
                retained.put(tid, new RetainedOutcome(ended.outcome(), ended.reason(), ended.proposer(),
                        ended.endedAtMs(), begin.getRequestDigest()));
            }
            return result(Disposition.DUPLICATE, ended, "already ended");
        }
        if (forgotten.contains(tid)) {
            return forgottenResult(Disposition.REFUSED, tid);
        }
        String[] participants = new String[begin.getParticipantsCount()];
        for (int i = 0; i < participants.length; i++) {
            participants[i] = canonical(begin.getParticipants(i));
        }
        txn = new InFlightTxn(participants, begin.getDeadlineMs(), begin.getRequestDigest(), begin.getRunId());
        inFlight.put(tid, txn);
        return result(Disposition.APPLIED, txn, "").toBuilder().setNeverDecided(forgotten.dropped() == 0).build();
    }

    private RecordResult decide(Decide decide) {
        String tid = decide.getAttemptId();
        Outcome outcome = decide.getOutcome();
        if (tid.isEmpty()) {
            return refused("Decide without a tid");
        }
        if (outcome != Outcome.COMMIT && outcome != Outcome.ABORT) {
            return refused("Decide without an outcome");
        }
        InFlightTxn txn = inFlight.get(tid);
        if (txn != null) {
            if (txn.outcome != Outcome.UNDECIDED) {
                if (decide.getForgotten() && txn.outcome == Outcome.ABORT && !txn.forgotten) {
                    // The coordinator learned after its ABORT that the id ran before: mark it, so no
                    // reader takes this ABORT for the tid's outcome.
                    txn.markForgotten();
                    return result(Disposition.APPLIED, txn, "");
                }
                return result(Disposition.DUPLICATE, txn, "already decided " + txn.outcome + " by " + txn.proposer);
            }
            if (decide.getForgotten() && outcome != Outcome.ABORT) {
                return refused("only an ABORT undoes a re-run of a forgotten attempt");
            }
            txn.decide(outcome, decide.getReason(), canonical(decide.getProposer()), decide.getForgotten());
            return result(Disposition.APPLIED, txn, "");
        }
        RetainedOutcome ended = retained.get(tid);
        if (ended != null) {
            if (decide.getForgotten() && ended.outcome() == Outcome.ABORT) {
                retained.remove(tid); // the same, after its End: it is forgotten at once
                forgotten.add(tid);
                return forgottenResult(Disposition.APPLIED, tid).toBuilder().setOutcome(Outcome.ABORT)
                        .setForgotten(true).build();
            }
            return result(Disposition.DUPLICATE, ended, "already decided " + ended.outcome() + " and ended");
        }
        if (forgotten.contains(tid)) {
            // Nothing of a forgotten attempt can commit any more (its Begin is refused), so a
            // participant prepared under it rolls back; nothing is recorded.
            return forgottenResult(Disposition.REFUSED, tid);
        }
        if (decide.getForgotten()) {
            // A mark of an ABORT the log no longer holds at all (it ended and left retention, and the
            // memory of forgotten ids is full or off): what the mark says is already true. It must not
            // leave an outcome behind as an in-doubt participant's ABORT would.
            forgotten.add(tid);
            return forgottenResult(Disposition.APPLIED, tid).toBuilder().setOutcome(Outcome.ABORT).setForgotten(true)
                    .build();
        }
        if (outcome == Outcome.COMMIT) {
            // Only a coordinator commits, and only after its Begin was logged: a COMMIT for a tid the
            // log never saw begin would commit what no replica could ever finish.
            return refused("cannot commit a transaction that never began");
        }
        // An in-doubt participant aborting a tid whose Begin never reached the log: nobody holds it
        // in flight, so it is ended at once; the participants learn the outcome by asking.
        RetainedOutcome aborted = new RetainedOutcome(Outcome.ABORT, decide.getReason(),
                canonical(decide.getProposer()), clock.nowMs(), 0);
        retained.put(tid, aborted);
        return result(Disposition.APPLIED, aborted, "");
    }

    private RecordResult end(End end) {
        String tid = end.getAttemptId();
        InFlightTxn txn = inFlight.get(tid);
        if (txn != null) {
            if (txn.outcome == Outcome.UNDECIDED) {
                return result(Disposition.REFUSED, txn, "cannot end an undecided transaction");
            }
            inFlight.remove(tid);
            if (txn.forgotten) {
                forgotten.add(tid); // a re-run of a forgotten attempt ends as forgotten as its first run
                return forgottenResult(Disposition.APPLIED, tid).toBuilder().setOutcome(Outcome.ABORT)
                        .setForgotten(true).build();
            }
            RetainedOutcome ended = new RetainedOutcome(txn.outcome, txn.reason, txn.proposer, clock.nowMs(),
                    txn.requestDigest);
            retained.put(tid, ended);
            return result(Disposition.APPLIED, ended, "");
        }
        RetainedOutcome ended = retained.get(tid);
        if (ended != null) {
            return result(Disposition.DUPLICATE, ended, "already ended");
        }
        return refused("unknown transaction (never begun, or forgotten after the retention window)");
    }

    /** Digest 0 means "not given": it matches anything, so tools and old proposers are not refused. */
    private static boolean sameDigest(long a, long b) {
        return a == 0 || b == 0 || a == b;
    }

    /** Outcomes that ended at log time 0 (only ever at the head) take the first real log time. */
    private void restampEndedBeforeLogTimeWasKnown() {
        for (Map.Entry<String, RetainedOutcome> e : retained.entrySet()) {
            RetainedOutcome o = e.getValue();
            if (o.endedAtMs() != 0) {
                return;
            }
            e.setValue(new RetainedOutcome(o.outcome(), o.reason(), o.proposer(), clock.nowMs(), o.requestDigest()));
        }
    }

    private void evictExpired() {
        Iterator<Map.Entry<String, RetainedOutcome>> it = retained.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, RetainedOutcome> oldest = it.next();
            boolean tooMany = retained.size() > retention.maxOutcomes();
            boolean tooOld = clock.nowMs() - oldest.getValue().endedAtMs() > retention.maxAgeMs();
            if (!tooMany && !tooOld) {
                return;
            }
            forgotten.add(oldest.getKey());
            it.remove();
        }
    }

    /** The state of one transaction. */
    public TxnState query(String tid) {
        TxnState.Builder state = TxnState.newBuilder().setAttemptId(tid);
        InFlightTxn txn = inFlight.get(tid);
        if (txn != null) {
            state.setStatus(txn.status())
                    .setOutcome(txn.outcome)
                    .addAllParticipants(Arrays.asList(txn.participants))
                    .setDeadlineMs(txn.deadlineMs)
                    .setRequestDigest(txn.requestDigest)
                    .setRunId(txn.runId)
                    .setForgotten(txn.forgotten)
                    .setNeverDecided(forgotten.dropped() == 0);
            if (txn.outcome != Outcome.UNDECIDED) {
                state.setReason(txn.reason).setProposer(txn.proposer);
            }
            return state.build();
        }
        RetainedOutcome ended = retained.get(tid);
        if (ended != null) {
            return state.setStatus(TxnStatus.ENDED)
                    .setOutcome(ended.outcome())
                    .setReason(ended.reason())
                    .setProposer(ended.proposer())
                    .setRequestDigest(ended.requestDigest())
                    .build();
        }
        if (forgotten.contains(tid)) {
            return state.setStatus(TxnStatus.FORGOTTEN).setReason(forgottenReason(tid)).build();
        }
        return state.setStatus(TxnStatus.UNKNOWN).build();
    }

    /**
     * The state of a transaction as its client sees it: its last attempt ({@code tid#1}, {@code tid#2},
     * ... up to {@link TxnIds#MAX_ATTEMPTS}) that the log knows, in flight, retained
     * or forgotten. Every attempt is looked at, not only up to the first unknown one: the outcome of
     * {@code #1} may have been evicted while {@code #2}'s is still retained. UNKNOWN when no attempt is
     * known (then the bare tid, which tools use, is looked up).
     */
    public TxnState queryLastAttempt(String tid) {
        TxnState last = null;
        for (int n = 1; n <= TxnIds.MAX_ATTEMPTS; n++) {
            TxnState attempt = query(AttemptId.format(tid, n));
            if (attempt.getStatus() != TxnStatus.UNKNOWN) {
                last = attempt;
            }
        }
        return last != null ? last : query(tid);
    }

    /**
     * The transactions (in flight or retained) whose ids sort after {@code after}, at most
     * {@code limit}, in id order; {@code next} is the last id when more may follow. Sorts every id:
     * for a harness's final comparison of replicas, not a hot path.
     */
    public Page page(String after, int limit) {
        java.util.TreeSet<String> ids = new java.util.TreeSet<>(inFlight.keySet());
        ids.addAll(retained.keySet());
        List<TxnState> states = new ArrayList<>();
        for (String tid : ids.tailSet(after, false)) {
            if (states.size() == limit) {
                return new Page(states, states.get(limit - 1).getAttemptId());
            }
            states.add(query(tid));
        }
        return new Page(states, "");
    }

    /** One page of {@link #page}: {@code next} is empty when nothing follows. */
    public record Page(List<TxnState> states, String next) {
    }

    /** Table sizes; the caller adds the applied index. */
    public LogStats.Builder stats() {
        return LogStats.newBuilder().setInFlight(inFlight.size()).setRetainedOutcomes(retained.size())
                .setForgottenIds(forgotten.size()).setForgottenIdsDropped(forgotten.dropped());
    }

    /** Every transaction begun and not ended, in Begin order: what a new leader must finish. */
    public List<TxnState> inFlightTransactions() {
        List<TxnState> out = new ArrayList<>(inFlight.size());
        for (String tid : inFlight.keySet()) {
            out.add(query(tid));
        }
        return out;
    }

    public int inFlightCount() {
        return inFlight.size();
    }

    public int retainedCount() {
        return retained.size();
    }

    /** Log time (see the class comment). */
    public long clockMs() {
        return clock.nowMs();
    }

    /** The cluster's members, in node id order. */
    public List<String> members() {
        return clock.members();
    }

    /** The latest clock reading of each member that has reported one, in node id order. */
    public Map<String, Long> memberClocks() {
        return clock.readings();
    }

    public Retention retention() {
        return retention;
    }

    // --- snapshot support (SnapshotFormat) ---

    Iterable<Map.Entry<String, InFlightTxn>> inFlightEntries() {
        return Collections.unmodifiableMap(inFlight).entrySet();
    }

    Iterable<Map.Entry<String, RetainedOutcome>> retainedEntries() {
        return Collections.unmodifiableMap(retained).entrySet();
    }

    void restoreClock(long clockMs) {
        clock.restoreNow(clockMs);
    }

    void restoreMemberClock(String nodeId, long timestampMs) {
        clock.restoreReading(nodeId, timestampMs);
    }

    void restoreInFlight(String tid, String[] participants, long deadlineMs, long requestDigest, long runId,
            Outcome outcome, String reason, String proposer, boolean forgottenRun) {
        for (int i = 0; i < participants.length; i++) {
            participants[i] = canonical(participants[i]);
        }
        InFlightTxn txn = new InFlightTxn(participants, deadlineMs, requestDigest, runId);
        if (outcome != Outcome.UNDECIDED) {
            txn.decide(outcome, reason, canonical(proposer), forgottenRun);
        }
        inFlight.put(tid, txn);
    }

    ForgottenIds forgottenIds() {
        return forgotten;
    }

    void restoreRetained(String tid, Outcome outcome, String reason, String proposer, long endedAtMs,
            long requestDigest) {
        retained.put(tid, new RetainedOutcome(outcome, reason, canonical(proposer), endedAtMs, requestDigest));
    }

    // --- helpers ---

    private String canonical(String s) {
        if (s.isEmpty()) {
            return "";
        }
        // Bounded: participant names and proposers come from a handful of services and nodes; should
        // a misbehaving proposer send endless distinct names, stop interning rather than grow.
        if (canonical.size() >= 1024 && !canonical.containsKey(s)) {
            return s;
        }
        return canonical.computeIfAbsent(s, k -> k);
    }

    private static RecordResult refused(String detail) {
        return RecordResult.newBuilder()
                .setDisposition(Disposition.REFUSED)
                .setStatus(TxnStatus.UNKNOWN)
                .setDetail(detail)
                .build();
    }

    private static RecordResult result(Disposition disposition, InFlightTxn txn, String detail) {
        RecordResult.Builder r = RecordResult.newBuilder()
                .setDisposition(disposition)
                .setStatus(txn.status())
                .setOutcome(txn.outcome)
                .setDetail(detail)
                .setRunId(txn.runId)
                .setForgotten(txn.forgotten);
        if (txn.reason != null) {
            r.setReason(txn.reason);
        }
        return r.build();
    }

    private RecordResult forgottenResult(Disposition disposition, String tid) {
        return RecordResult.newBuilder()
                .setDisposition(disposition)
                .setStatus(TxnStatus.FORGOTTEN)
                .setDetail(forgottenReason(tid))
                .setReason(forgottenReason(tid))
                .build();
    }

    private String forgottenReason(String tid) {
        return tid + " ended long ago: the log keeps the last " + retention.maxOutcomes() + " outcomes, for at most "
                + retention.maxAgeMs() + " ms of log time";
    }

    private static RecordResult result(Disposition disposition, RetainedOutcome ended, String detail) {
        return RecordResult.newBuilder()
                .setDisposition(disposition)
                .setStatus(TxnStatus.ENDED)
                .setOutcome(ended.outcome())
                .setReason(ended.reason())
                .setDetail(detail)
                .build();
    }
}
