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
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.dtm.log.state.RecordResults.forgotten;
import static io.dtm.log.state.RecordResults.forgottenAbort;
import static io.dtm.log.state.RecordResults.of;
import static io.dtm.log.state.RecordResults.refused;

/**
 * The transaction table that the replicated log maintains: which transactions are in flight, which
 * outcome stands for each, and a bounded memory of recent outcomes.
 *
 * <p>Pure and deterministic: no I/O, no threads, no clock of its own, so every replica that applies
 * the same entries holds the same state. Not thread-safe; the state machine serialises access.
 *
 * <p>Time ("log time", what retention by age measures) comes only from the entries: each batch
 * carries the clock reading of the node that sealed it, every node also appends a clock-only batch
 * every few seconds ({@link io.dtm.log.raft.ClockReporter}), and {@link LogClock} derives log time
 * from them so that it never moves faster than true time, whatever the wall clocks say. An outcome
 * that ended while log time was 0 counts as ended at the first log time a majority establishes
 * (against 0 it would be forgotten at once).
 *
 * <p>Transitions of one attempt id:
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
    private final TxnTable table;
    /**
     * How far ahead of log time a member's clock may count ({@link LogClock}): with a clock
     * report's interval and trip, how much before its age of true time an outcome may be forgotten.
     */
    public static final long CLOCK_MAX_AHEAD_MS = LogClock.MAX_AHEAD_MS;
    private final LogClock clock;

    /**
     * @param members the cluster's node ids (from the cluster configuration, the same on every
     *                replica): only their clock readings move log time
     */
    public TxnLogState(Retention retention, Collection<String> members) {
        this.retention = Objects.requireNonNull(retention);
        this.table = new TxnTable(retention);
        this.clock = new LogClock(members);
    }

    /**
     * Applies every record of a batch in order; results[i] belongs to records[i]. {@code entryTerm}
     * is the Raft term of the entry carrying the batch: a batch proposed by a coordinator of another
     * term (a deposed leader whose records reached the new leader) is refused as a whole; a probe's
     * records are applied to nothing.
     */
    public BatchResult apply(RecordBatch batch, long entryTerm) {
        // A fenced batch's reading is still its node's clock: it counts like any other.
        long before = clock.nowMs();
        long uptimeMs = batch.hasUptimeMs() ? batch.getUptimeMs() : LogClock.NO_UPTIME;
        if (clock.observe(batch.getNodeId(), batch.getTimestampMs(), uptimeMs, batch.getProcessId()) && before == 0) {
            table.restampEndedAtZero(clock.nowMs());
        }
        BatchResult.Builder out = BatchResult.newBuilder();
        long proposerTerm = batch.getProposerTerm();
        boolean stale = proposerTerm != 0 && proposerTerm != entryTerm;
        for (TxnRecord record : batch.getRecordsList()) {
            out.addResults(batch.getProbe() ? PROBE : stale
                    ? RecordResult.newBuilder().setDisposition(Disposition.FENCED).setStatus(TxnStatus.UNKNOWN)
                            .setDetail("stale coordinator: proposed in term " + proposerTerm + ", logged in term "
                                    + entryTerm)
                            .build()
                    : apply(record));
        }
        table.evictExpired(clock.nowMs());
        return out.build();
    }

    /** What every record of a probe batch gets: it was replicated, and changed nothing. */
    private static final RecordResult PROBE = RecordResult.newBuilder().setDisposition(Disposition.REFUSED)
            .setStatus(TxnStatus.UNKNOWN).setDetail("a probe: replicated, never applied").build();

    private RecordResult apply(TxnRecord record) {
        return switch (record.getRecordCase()) {
            case BEGIN -> begin(record.getBegin());
            case DECIDE -> decide(record.getDecide());
            case END -> end(record.getEnd());
            case RECORD_NOT_SET -> refused("empty record");
        };
    }

    private RecordResult begin(Begin begin) {
        String id = begin.getAttemptId();
        if (id.isEmpty()) {
            return refused("Begin without an attempt id");
        }
        if (begin.getParticipantsCount() == 0) {
            return refused("Begin without participants");
        }
        InFlightTxn txn = table.inFlight(id);
        if (txn != null) {
            if (!sameDigest(txn.requestDigest, begin.getRequestDigest())) {
                return of(Disposition.REFUSED, txn, "already begun with a different request");
            }
            if (Arrays.asList(txn.participants).equals(begin.getParticipantsList())) {
                // (a retried Begin: it must learn what the first one would have)
                return of(Disposition.DUPLICATE, txn, "already begun").toBuilder()
                        .setNeverDecided(table.knowsEveryDecidedId()).build();
            }
            return of(Disposition.REFUSED, txn, "already begun with participants " + Arrays.toString(txn.participants));
        }
        RetainedOutcome ended = table.retained(id);
        if (ended != null) {
            if (!sameDigest(ended.requestDigest(), begin.getRequestDigest())) {
                return of(Disposition.REFUSED, ended, "already ended, with a different request");
            }
            if (ended.requestDigest() == 0 && begin.getRequestDigest() != 0) {
                // Aborted before its Begin arrived (an early ABORT): the first Begin says whose id it
                // is, so that another request under the same id is refused from now on.
                table.retain(id, ended.withDigest(begin.getRequestDigest()));
            }
            return of(Disposition.DUPLICATE, ended, "already ended");
        }
        if (table.isForgotten(id)) {
            return forgotten(Disposition.REFUSED, forgottenReason(id));
        }
        String[] participants = new String[begin.getParticipantsCount()];
        for (int i = 0; i < participants.length; i++) {
            participants[i] = table.canonical(begin.getParticipants(i));
        }
        txn = new InFlightTxn(participants, begin.getDeadlineMs(), begin.getRequestDigest(), begin.getRunId());
        txn.superseded = attemptBegins(id);
        table.begin(id, txn);
        return of(Disposition.APPLIED, txn, "").toBuilder().setNeverDecided(table.knowsEveryDecidedId()).build();
    }

    /**
     * A new attempt id enters the table: its predecessor is superseded, and it is superseded itself
     * from the start when a later attempt of its tid is known. (While the memory of forgotten ids has
     * never dropped one, a new id's later attempts cannot exist: each begins only after its
     * predecessor's Begin or ABORT is in the log, and a Begin of a forgotten id is refused. So the
     * search, 19 lookups, runs only in a table that has dropped ids.)
     */
    private boolean attemptBegins(String id) {
        if (AttemptId.isBare(id)) {
            return false;
        }
        AttemptId attempt = AttemptId.parse(id);
        return table.attemptBegins(attempt.tid(), attempt.number(), !table.knowsEveryDecidedId());
    }

    private RecordResult decide(Decide decide) {
        String id = decide.getAttemptId();
        Outcome outcome = decide.getOutcome();
        if (id.isEmpty()) {
            return refused("Decide without an attempt id");
        }
        if (outcome != Outcome.COMMIT && outcome != Outcome.ABORT) {
            return refused("Decide without an outcome");
        }
        InFlightTxn txn = table.inFlight(id);
        if (txn != null) {
            if (txn.outcome != Outcome.UNDECIDED) {
                if (decide.getForgotten() && txn.outcome == Outcome.ABORT && !txn.forgotten) {
                    // The coordinator learned after its ABORT that the id ran before: mark it, so no
                    // reader takes this ABORT for the tid's outcome.
                    txn.markForgotten();
                    return of(Disposition.APPLIED, txn, "");
                }
                return of(Disposition.DUPLICATE, txn, "already decided " + txn.outcome + " by " + txn.proposer);
            }
            if (decide.getForgotten() && outcome != Outcome.ABORT) {
                return refused("only an ABORT undoes a re-run of a forgotten attempt");
            }
            txn.decide(outcome, decide.getReason(), table.canonical(decide.getProposer()), decide.getForgotten());
            return of(Disposition.APPLIED, txn, "");
        }
        RetainedOutcome ended = table.retained(id);
        if (ended != null) {
            if (decide.getForgotten() && ended.outcome() == Outcome.ABORT) {
                table.forget(id); // the same, after its End: it is forgotten at once
                return forgottenAbort(forgottenReason(id));
            }
            return of(Disposition.DUPLICATE, ended, "already decided " + ended.outcome() + " and ended");
        }
        if (table.isForgotten(id)) {
            // Nothing of a forgotten attempt can commit any more (its Begin is refused), so a
            // participant prepared under it rolls back; nothing is recorded.
            return forgotten(Disposition.REFUSED, forgottenReason(id));
        }
        if (decide.getForgotten()) {
            // A mark of an ABORT the log no longer holds at all (it ended and left retention, and the
            // memory of forgotten ids is full or off): what the mark says is already true. It must not
            // leave an outcome behind as an in-doubt participant's ABORT would.
            table.forget(id);
            return forgottenAbort(forgottenReason(id));
        }
        if (outcome == Outcome.COMMIT) {
            // Only a coordinator commits, and only after its Begin was logged: a COMMIT for a tid the
            // log never saw begin would commit what no replica could ever finish.
            return refused("cannot commit a transaction that never began");
        }
        // An in-doubt participant aborting a tid whose Begin never reached the log: nobody holds it
        // in flight, so it is ended at once; the participants learn the outcome by asking.
        RetainedOutcome aborted = new RetainedOutcome(Outcome.ABORT, decide.getReason(),
                table.canonical(decide.getProposer()), clock.nowMs(), 0, attemptBegins(id));
        table.retain(id, aborted);
        return of(Disposition.APPLIED, aborted, "");
    }

    private RecordResult end(End end) {
        String id = end.getAttemptId();
        InFlightTxn txn = table.inFlight(id);
        if (txn != null) {
            if (txn.outcome == Outcome.UNDECIDED) {
                return of(Disposition.REFUSED, txn, "cannot end an undecided transaction");
            }
            table.removeInFlight(id);
            if (txn.forgotten) {
                table.forget(id); // a re-run of a forgotten attempt ends as forgotten as its first run
                return forgottenAbort(forgottenReason(id));
            }
            RetainedOutcome ended = new RetainedOutcome(txn.outcome, txn.reason, txn.proposer, clock.nowMs(),
                    txn.requestDigest, txn.superseded);
            table.retain(id, ended);
            return of(Disposition.APPLIED, ended, "");
        }
        RetainedOutcome ended = table.retained(id);
        if (ended != null) {
            return of(Disposition.DUPLICATE, ended, "already ended");
        }
        return refused("unknown transaction (never begun, or forgotten after the retention window)");
    }

    /** Digest 0 means "not given": it matches anything, so tools and old proposers are not refused. */
    private static boolean sameDigest(long a, long b) {
        return a == 0 || b == 0 || a == b;
    }

    private String forgottenReason(String attemptId) {
        return attemptId + " ended long ago: the log keeps the last " + retention.maxOutcomes()
                + " outcomes, for at most " + retention.maxAgeMs() + " ms of log time";
    }

    /** The state of one attempt. */
    public TxnState query(String attemptId) {
        TxnState.Builder state = TxnState.newBuilder().setAttemptId(attemptId);
        InFlightTxn txn = table.inFlight(attemptId);
        if (txn != null) {
            state.setStatus(txn.status())
                    .setOutcome(txn.outcome)
                    .addAllParticipants(Arrays.asList(txn.participants))
                    .setDeadlineMs(txn.deadlineMs)
                    .setRequestDigest(txn.requestDigest)
                    .setRunId(txn.runId)
                    .setForgotten(txn.forgotten)
                    .setNeverDecided(table.knowsEveryDecidedId())
                    .setLastAttempt(!txn.superseded);
            if (txn.outcome != Outcome.UNDECIDED) {
                state.setReason(txn.reason).setProposer(txn.proposer);
            }
            return state.build();
        }
        RetainedOutcome ended = table.retained(attemptId);
        if (ended != null) {
            return state.setStatus(TxnStatus.ENDED)
                    .setOutcome(ended.outcome())
                    .setReason(ended.reason())
                    .setProposer(ended.proposer())
                    .setRequestDigest(ended.requestDigest())
                    .setLastAttempt(!ended.superseded())
                    .build();
        }
        if (table.isForgotten(attemptId)) {
            return state.setStatus(TxnStatus.FORGOTTEN).setReason(forgottenReason(attemptId)).build();
        }
        return state.setStatus(TxnStatus.UNKNOWN).build();
    }

    /**
     * The state of a transaction as its client sees it: its last attempt ({@code tid#1}, {@code tid#2},
     * ... up to {@link TxnIds#MAX_ATTEMPTS}) that the log knows, in flight, retained
     * or forgotten. Every attempt is looked at, not only up to the first unknown one: the outcome of
     * {@code #1} may have been evicted while {@code #2}'s is still retained. When the last attempt
     * known was superseded (a later one began, and is gone from the log and its memory), that later
     * one is FORGOTTEN: the earlier outcome is not the tid's. UNKNOWN when no attempt is known (then
     * the bare tid, which tools use, is looked up).
     */
    public TxnState queryLastAttempt(String tid) {
        TxnState last = null;
        for (int n = 1; n <= TxnIds.MAX_ATTEMPTS; n++) {
            TxnState attempt = query(AttemptId.format(tid, n));
            if (attempt.getStatus() != TxnStatus.UNKNOWN) {
                last = attempt;
            }
        }
        if (last == null) {
            return query(tid);
        }
        // (A COMMIT is always its tid's last attempt: nothing retries a commit.)
        if (last.getStatus() != TxnStatus.FORGOTTEN && last.getOutcome() != Outcome.COMMIT && !last.getLastAttempt()) {
            String later = AttemptId.format(tid, AttemptId.parse(last.getAttemptId()).number() + 1);
            return TxnState.newBuilder().setAttemptId(later).setStatus(TxnStatus.FORGOTTEN)
                    .setReason("a later attempt than " + last.getAttemptId() + " (" + last.getOutcome() + ") began, and"
                            + " the log no longer holds it: the outcome of " + tid + " is not known here")
                    .build();
        }
        return last;
    }


    /**
     * The transactions (in flight or retained) whose ids sort after {@code after}, at most
     * {@code limit}, in id order; {@code next} is the last id when more may follow. Sorts every id:
     * for a harness's final comparison of replicas, not a hot path.
     */
    public Page page(String after, int limit) {
        List<TxnState> states = new ArrayList<>();
        for (String id : table.sortedIds().tailSet(after, false)) {
            if (states.size() == limit) {
                return new Page(states, states.get(limit - 1).getAttemptId());
            }
            states.add(query(id));
        }
        return new Page(states, "");
    }

    /** One page of {@link #page}: {@code next} is empty when nothing follows. */
    public record Page(List<TxnState> states, String next) {
    }

    /** Table sizes; the caller adds the applied index. */
    public LogStats.Builder stats() {
        ForgottenIds forgotten = table.forgottenIds();
        return LogStats.newBuilder().setInFlight(table.inFlightCount()).setRetainedOutcomes(table.retainedCount())
                .setForgottenIds(forgotten.size()).setForgottenIdsDropped(forgotten.dropped());
    }

    /** Every transaction begun and not ended, in Begin order: what a new leader must finish. */
    public List<TxnState> inFlightTransactions() {
        List<TxnState> out = new ArrayList<>(table.inFlightCount());
        for (String id : table.inFlightIds()) {
            out.add(query(id));
        }
        return out;
    }

    public int inFlightCount() {
        return table.inFlightCount();
    }

    public int retainedCount() {
        return table.retainedCount();
    }

    /** Log time (see the class comment). */
    public long clockMs() {
        return clock.nowMs();
    }

    /** The group's members, whose clocks count toward log time, in node id order. */
    public List<String> members() {
        return clock.members();
    }

    /**
     * The group's Raft configuration changed to these members (applied at its place in the log,
     * so on every replica at the same index): only their clocks count toward log time from now on.
     * Returns whether they changed.
     */
    public boolean changeMembers(Collection<String> members) {
        return clock.changeMembers(members);
    }

    /** The latest wall-clock reading of each member that has reported one, in node id order. */
    public Map<String, Long> memberClocks() {
        return clock.readings();
    }

    public Retention retention() {
        return retention;
    }

    // --- snapshot support (SnapshotFormat) ---

    TxnTable table() {
        return table;
    }

    void restoreClock(long clockMs) {
        clock.restoreNow(clockMs);
    }

    Map<String, LogClock.Member> memberClockState() {
        return clock.state();
    }

    void restoreMemberClock(String nodeId, LogClock.Member member) {
        clock.restore(nodeId, member);
    }
}
