package io.dtm.participant;

import io.dtm.protocol.AttemptId;
import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.participant.domain.Decision;
import io.dtm.participant.domain.DomainService;
import io.dtm.participant.domain.RecordCache;
import io.dtm.participant.domain.RecordReader;
import io.dtm.participant.domain.RecordWriter;
import io.dtm.participant.store.Counters;
import io.dtm.participant.store.PreparedEntry;
import io.dtm.participant.store.Seeded;
import io.dtm.participant.store.StoredTxn;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.ListedTxn;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.LocalTxn;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.PreparedTxn;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.TxnList;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A participant's local transaction table around its {@link DomainService}: which attempt is in
 * which local state, and what each message does in each state. Pure and single-threaded: the
 * engine calls it from one thread and makes what it wrote durable before replying.
 *
 * <pre>
 *   none --PREPARE yes--> PREPARED --COMMIT--> COMMITTED
 *                                  --ROLLBACK--> ROLLED_BACK
 *   none --PREPARE no---> VOTED_NO     (final; a ROLLBACK is acknowledged, a COMMIT is a protocol error)
 *   none --ROLLBACK-----> ROLLED_BACK  (tombstone: a later PREPARE votes NO)
 * </pre>
 * Every duplicate gets the first answer, with one exception: a rolled-back attempt never votes YES
 * again (its YES is void: a coordinator that counted it could decide COMMIT for what was rolled
 * back). A COMMIT of a tid never prepared here, or one that contradicts a ROLLBACK (or a NO vote),
 * is a coordinator bug: answered with an error, counted, and changes nothing.
 *
 * <p>Runs. Every attempt remembers the run that prepared or finished it ({@code Prepare.run_id},
 * drawn by the coordinator when it begins the attempt). A PREPARE of an attempt finished here under
 * another run is not a duplicate but a re-run of an attempt id whose outcome the coordinator's log
 * has forgotten: it is refused ({@code EARLIER_RUN}), so nothing runs twice and a second run can
 * never contradict the first. A PREPARE of an attempt still PREPARED under another run (a run whose
 * Begin never reached the log, taken over by a new one) joins it: the log's decision for the id
 * applies to both. Run id 0 means "not known" (an older coordinator or tool) and matches any.
 *
 * <p>Only a bounded cache of the transactions is in memory; the others are read back from the store
 * through a {@link RecordReader} when a message names them. The caches are trimmed only at a batch
 * boundary ({@link #endBatch}), which the caller reaches after a group of messages and before it
 * writes their batch: until the batch is written the store lacks its changes, so the caches must
 * still hold them. The prepared transactions are indexed under {@code prep/} and the counts
 * {@code inspect} reports are kept as they change, so a start reads neither all transactions nor
 * all records.
 */
public final class ParticipantCore {
    static final String TXN_PREFIX = "txn/";
    /**
     * The prepared index: put once when an attempt prepares (a duplicate PREPARE finds the attempt
     * and writes nothing; a store from before the index gets it once, in {@link #upgrade}) and
     * removed once when it commits or rolls back, so its deletes are {@link RecordWriter#deleteSinglePut}.
     */
    static final String PREPARED_PREFIX = "prep/";
    static final String RECORD_PREFIX = "rec/";
    static final String META_PREFIX = "meta/";
    static final String COUNTERS_KEY = "meta/counters";
    static final String SEEDED_KEY = "meta/seeded";
    /** The store's layout with {@code prep/} and the persisted counts ({@link Counters#getLayoutVersion}). */
    static final int LAYOUT_VERSION = 1;
    /** Transactions kept in memory by default: see {@link #ParticipantCore(DomainService, RecordReader, int)}. */
    public static final int DEFAULT_TXN_CACHE = 50_000;
    private static final List<LocalState> COUNTED_STATES =
            List.of(LocalState.PREPARED, LocalState.VOTED_NO, LocalState.COMMITTED, LocalState.ROLLED_BACK);

    private final DomainService service;
    private final RecordReader store;
    private final RecordCache<String, StoredTxn> txns;
    /** Every message is a batch of its own: for a caller without batches. */
    private final boolean batchPerMessage;
    /** Prepared attempts and when they prepared, oldest first: what the in-doubt resolver looks at. */
    private final LinkedHashMap<String, Long> prepared = new LinkedHashMap<>();
    /** The prepared index as loaded ({@code prep/}), until {@link #finishLoading} orders it into {@link #prepared}. */
    private final Map<String, Long> loadedPrepared = new TreeMap<>();
    /** How many transactions are in each local state. */
    private final Map<LocalState, Long> states = new EnumMap<>(LocalState.class);
    private long protocolErrors;
    /** The counters changed since they were last written. */
    private boolean countersChanged;
    private int layoutVersion;
    private boolean seeded;
    private Start start;

    /** What {@link #finishLoading} found in the store. */
    public enum Start {
        /** An empty store, now seeded. */
        SEEDED,
        /** A store written before the prepared index and the persisted counts, now upgraded. */
        UPGRADED,
        LOADED
    }

    /**
     * A table that keeps every transaction in memory and reads nothing back, for a caller that
     * gives {@link #load} everything stored and has no batches (simulations, tests): every message
     * is a batch of its own, so its {@link #handle} writes the counts it changed.
     */
    public ParticipantCore(DomainService service) {
        this(service, RecordReader.NONE, RecordCache.UNBOUNDED, true);
    }

    /**
     * A table over {@code store} that keeps at most about {@code txnCapacity} transactions in memory
     * (more within a batch); the caller calls {@link #endBatch} after each group of messages.
     */
    public ParticipantCore(DomainService service, RecordReader store, int txnCapacity) {
        this(service, store, txnCapacity, false);
    }

    private ParticipantCore(DomainService service, RecordReader store, int txnCapacity, boolean batchPerMessage) {
        this.service = service;
        this.store = store;
        this.txns = new RecordCache<>(txnCapacity, tid -> store.get(TXN_PREFIX + tid, StoredTxn.parser()));
        this.batchPerMessage = batchPerMessage;
        COUNTED_STATES.forEach(s -> states.put(s, 0L));
    }

    public DomainService service() {
        return service;
    }

    // --- startup ---

    /**
     * Loads what stays in memory from the store: the bookkeeping ({@code meta/}), the prepared
     * index ({@code prep/}) and the records the service keeps resident. Then call {@link #finishLoading}.
     */
    public void loadResident() throws InvalidProtocolBufferException {
        store.forEach(META_PREFIX, this::load);
        store.forEach(PREPARED_PREFIX, this::load);
        for (String prefix : service.residentPrefixes()) {
            store.forEach(prefix, this::load);
        }
    }

    /**
     * Loads one persisted key/value (any order); call {@link #finishLoading} after the last one.
     * {@link #loadResident} gives it what it needs; a transaction or record given besides is cached.
     */
    public void load(String key, byte[] value) throws InvalidProtocolBufferException {
        if (key.startsWith(TXN_PREFIX)) {
            StoredTxn txn = StoredTxn.parseFrom(value);
            txns.put(txn.getTid(), txn);
        } else if (key.startsWith(PREPARED_PREFIX)) {
            loadedPrepared.put(key.substring(PREPARED_PREFIX.length()), PreparedEntry.parseFrom(value).getPreparedAtMs());
        } else if (key.startsWith(RECORD_PREFIX)) {
            service.load(key, value);
        } else if (key.equals(COUNTERS_KEY)) {
            Counters counters = Counters.parseFrom(value);
            protocolErrors = counters.getProtocolErrors();
            counters.getStatesMap().forEach((state, count) -> states.put(LocalState.valueOf(state), count));
            layoutVersion = counters.getLayoutVersion();
        } else if (key.equals(SEEDED_KEY)) {
            seeded = true;
        } else {
            throw new IllegalStateException("unknown key in the store: " + key);
        }
    }

    /**
     * Seeds a new store, or upgrades one written before the prepared index, then re-takes the holds
     * of every transaction still prepared, oldest first. Ends a batch: write {@code out} next.
     */
    public void finishLoading(long nowMs, RecordWriter out) {
        start = Start.LOADED;
        if (!seeded) {
            service.seed(out);
            out.put(SEEDED_KEY, Seeded.newBuilder().setAtMs(nowMs).build());
            seeded = true;
            layoutVersion = LAYOUT_VERSION;
            countersChanged = true;
            start = Start.SEEDED;
        } else if (layoutVersion < LAYOUT_VERSION) {
            upgrade(out);
            start = Start.UPGRADED;
        }
        List<Map.Entry<String, Long>> oldestFirst = new ArrayList<>(loadedPrepared.entrySet());
        oldestFirst.sort(Map.Entry.comparingByValue()); // stable: ties stay in id order
        for (Map.Entry<String, Long> e : oldestFirst) {
            StoredTxn txn = txns.get(e.getKey());
            if (txn == null || txn.getState() != LocalState.PREPARED) {
                throw new IllegalStateException("the store indexes " + e.getKey() + " as prepared, but it is "
                        + (txn == null ? "missing" : txn.getState()));
            }
            service.restore(txn.getTid(), txn.getHold());
            prepared.put(txn.getTid(), e.getValue());
        }
        loadedPrepared.clear();
        endBatch(out);
    }

    /** What {@link #finishLoading} found; null before. */
    public Start start() {
        return start;
    }

    /**
     * A store written before the prepared index and the persisted counts: reads every transaction
     * once to rebuild both (and lets the service rebuild its own counts).
     */
    private void upgrade(RecordWriter out) {
        COUNTED_STATES.forEach(s -> states.put(s, 0L));
        loadedPrepared.clear();
        store.forEach(TXN_PREFIX, (key, value) -> {
            if (!txns.contains(key.substring(TXN_PREFIX.length()))) {
                upgrade(RecordReader.parse(key, value, StoredTxn.parser()), out);
            }
        });
        txns.forEach((tid, txn) -> upgrade(txn, out));
        service.upgradeStore();
        layoutVersion = LAYOUT_VERSION;
        countersChanged = true;
    }

    private void upgrade(StoredTxn txn, RecordWriter out) {
        count(null, txn);
        if (txn.getState() == LocalState.PREPARED) {
            loadedPrepared.put(txn.getTid(), txn.getPreparedAtMs());
            out.put(PREPARED_PREFIX + txn.getTid(), PreparedEntry.newBuilder().setPreparedAtMs(txn.getPreparedAtMs()).build());
        }
    }

    /**
     * A batch boundary: the caller has handled a group of messages into {@code out} and writes it
     * to the store before it calls anything else. Writes the counts if they changed and trims the
     * caches to their capacities.
     */
    public void endBatch(RecordWriter out) {
        if (countersChanged) {
            Counters.Builder counters = Counters.newBuilder().setProtocolErrors(protocolErrors)
                    .setLayoutVersion(layoutVersion);
            states.forEach((state, count) -> counters.putStates(state.name(), count));
            out.put(COUNTERS_KEY, counters.build());
            countersChanged = false;
        }
        service.endBatch(out);
        txns.endBatch();
    }

    // --- messages ---

    /**
     * Handles one request; everything it changes is reported to {@code out}. {@code forceNo} is
     * the fault injector's verdict for a PREPARE that would otherwise vote YES.
     */
    public ParticipantResponse handle(ParticipantRequest request, long nowMs, boolean forceNo, RecordWriter out) {
        ParticipantResponse.Builder reply = ParticipantResponse.newBuilder().setRequestId(request.getRequestId());
        switch (request.getBodyCase()) {
            case PREPARE -> prepare(request.getPrepare(), nowMs, forceNo, out, reply);
            case COMMIT -> commit(request.getCommit().getAttemptId(), out, reply);
            case ROLLBACK -> rollback(request.getRollback(), out, reply);
            case QUERY -> query(request.getQuery().getAttemptId(), reply);
            case INSPECT -> reply.setInspect(inspect(nowMs));
            case LIST_TXNS -> reply.setTxnList(list(request.getListTxns().getAfter(), request.getListTxns().getLimit()));
            case SET_FAULTS -> throw new IllegalArgumentException("fault settings are the engine's, not the core's");
            case BODY_NOT_SET -> error(reply, ErrorCode.INVALID_REQUEST, "request has no body (a newer coordinator?)");
        }
        if (batchPerMessage) {
            endBatch(out);
        }
        return reply.build();
    }

    private void prepare(Prepare prepare, long nowMs, boolean forceNo, RecordWriter out,
            ParticipantResponse.Builder reply) {
        String tid = prepare.getAttemptId();
        if (invalidTid(tid, reply)) {
            return;
        }
        StoredTxn existing = txns.get(tid);
        if (existing != null) {
            reply.setVote(duplicatePrepare(existing, prepare, out));
            return;
        }
        Decision decision = forceNo
                ? Decision.no(VoteCode.FORCED_NO, service.name().id() + ": fault injection forced a NO vote")
                : service.prepare(tid, prepare, nowMs, out);
        StoredTxn.Builder txn = StoredTxn.newBuilder().setTid(tid).setVote(decision.vote()).setPreparedAtMs(nowMs)
                .setRequestDigest(prepare.getRequestDigest()).setRunId(prepare.getRunId());
        if (decision.isYes() && prepare.getOnePhase()) {
            // One-phase commit: this participant decides; prepare and commit land in one write.
            service.commit(tid, decision.hold(), out);
            txn.setState(LocalState.COMMITTED).setHold(decision.hold());
        } else if (decision.isYes()) {
            txn.setState(LocalState.PREPARED).setHold(decision.hold());
            prepared.put(tid, nowMs);
            out.put(PREPARED_PREFIX + tid, PreparedEntry.newBuilder().setPreparedAtMs(nowMs).build());
        } else {
            txn.setState(LocalState.VOTED_NO);
        }
        save(txn.build(), null, out);
        reply.setVote(decision.vote());
    }

    /** A PREPARE of an attempt this participant has seen before: see the class comment on runs. */
    private Vote duplicatePrepare(StoredTxn existing, Prepare prepare, RecordWriter out) {
        String tid = existing.getTid();
        long run = prepare.getRunId();
        LocalState state = existing.getState();
        if (state != LocalState.PREPARED && differentRuns(run, existing.getRunId())) {
            Vote.Builder refusal = Vote.newBuilder().setYes(false).setCode(VoteCode.EARLIER_RUN)
                    .setMessage(service.name().id() + ": " + tid + " already ran here, in an earlier run that ended "
                            + state);
            if (existing.hasVote()) {
                refusal.setEarlierVote(existing.getVote());
            }
            return refusal.build();
        }
        long digest = prepare.getRequestDigest();
        if (existing.getRequestDigest() != 0 && digest != 0 && existing.getRequestDigest() != digest) {
            // The same attempt id for another request (a reused tid): not a duplicate. Refuse it
            // without touching the first: a COMMIT of this id must never commit the other request.
            return Vote.newBuilder().setYes(false).setCode(VoteCode.INVALID_REQUEST)
                    .setMessage(service.name().id() + ": " + tid + " is already used here for another request").build();
        }
        return switch (state) {
            case PREPARED -> {
                if (differentRuns(run, existing.getRunId())) {
                    save(existing.toBuilder().setRunId(run).build(), existing, out); // the new run takes it over
                }
                yield existing.getVote();
            }
            case ROLLED_BACK -> existing.hasVote() && existing.getVote().getYes()
                    ? Vote.newBuilder().setYes(false).setCode(VoteCode.ALREADY_ROLLED_BACK)
                            .setMessage(service.name().id() + ": " + tid + " was rolled back here").build()
                    : existing.hasVote() ? existing.getVote() : tombstoneVote(tid);
            case COMMITTED, VOTED_NO -> existing.getVote();
            default -> throw new IllegalStateException(tid + " stored in state " + state);
        };
    }

    /** Both runs known and not the same (0 is "not known" and matches any). */
    private static boolean differentRuns(long a, long b) {
        return a != 0 && b != 0 && a != b;
    }

    private void commit(String tid, RecordWriter out, ParticipantResponse.Builder reply) {
        if (invalidTid(tid, reply)) {
            return;
        }
        StoredTxn txn = txns.get(tid);
        if (txn == null) {
            protocolError(reply, ErrorCode.NOT_FOUND, "COMMIT for " + tid + ", which never prepared here");
            return;
        }
        switch (txn.getState()) {
            case PREPARED -> {
                service.commit(tid, txn.getHold(), out);
                prepared.remove(tid);
                out.deleteSinglePut(PREPARED_PREFIX + tid);
                save(txn.toBuilder().setState(LocalState.COMMITTED).build(), txn, out);
                ack(reply, LocalState.COMMITTED);
            }
            case COMMITTED -> ack(reply, LocalState.COMMITTED);
            case VOTED_NO -> protocolError(reply, ErrorCode.CONFLICT, "COMMIT for " + tid + ", which voted NO here");
            case ROLLED_BACK -> protocolError(reply, ErrorCode.CONFLICT,
                    "COMMIT for " + tid + ", which was rolled back here");
            default -> throw new IllegalStateException(tid + " stored in state " + txn.getState());
        }
    }

    private void rollback(Rollback rollback, RecordWriter out, ParticipantResponse.Builder reply) {
        String tid = rollback.getAttemptId();
        if (invalidTid(tid, reply)) {
            return;
        }
        long run = rollback.getRunId();
        StoredTxn txn = txns.get(tid);
        if (txn == null) {
            // The ROLLBACK overtook its PREPARE (or the PREPARE never came): leave a tombstone so
            // a late PREPARE votes NO instead of holding records nobody will release.
            save(StoredTxn.newBuilder().setTid(tid).setState(LocalState.ROLLED_BACK).setRunId(run).build(), null, out);
            ack(reply, LocalState.ROLLED_BACK, false);
            return;
        }
        boolean earlierRun = differentRuns(run, txn.getRunId());
        switch (txn.getState()) {
            case PREPARED -> {
                service.rollback(tid, txn.getHold(), out);
                prepared.remove(tid);
                out.deleteSinglePut(PREPARED_PREFIX + tid);
                save(txn.toBuilder().setState(LocalState.ROLLED_BACK).setRunId(run != 0 ? run : txn.getRunId()).build(),
                        txn, out);
                ack(reply, LocalState.ROLLED_BACK, false);
            }
            case ROLLED_BACK, VOTED_NO -> ack(reply, txn.getState(), earlierRun);
            case COMMITTED -> {
                if (rollback.getUnlessCommitted() || earlierRun) {
                    // A fence learning that the one-phase commit happened, or the rollback of a re-run
                    // that never prepared here meeting the earlier run's commit: an answer, not a conflict.
                    ack(reply, LocalState.COMMITTED, earlierRun);
                } else {
                    protocolError(reply, ErrorCode.CONFLICT, "ROLLBACK for " + tid + ", which was committed here");
                }
            }
            default -> throw new IllegalStateException(tid + " stored in state " + txn.getState());
        }
    }

    private void query(String tid, ParticipantResponse.Builder reply) {
        if (!invalidTid(tid, reply)) {
            reply.setTxn(localTxn(tid));
        }
    }

    /** A transaction's local state and effects; state NONE when this participant never heard of it. */
    public LocalTxn localTxn(String tid) {
        StoredTxn txn = txns.get(tid);
        if (txn == null) {
            return LocalTxn.newBuilder().setAttemptId(tid).setState(LocalState.NONE).build();
        }
        LocalTxn.Builder out = LocalTxn.newBuilder().setAttemptId(tid).setState(txn.getState())
                .setPreparedAtMs(txn.getPreparedAtMs());
        if (txn.hasVote()) {
            out.setVote(txn.getVote());
        }
        if (txn.hasHold()) {
            out.addAllEffects(service.describe(txn.getHold()));
        }
        return out.build();
    }

    public InspectReply inspect(long nowMs) {
        InspectReply.Builder out = InspectReply.newBuilder().setService(service.name().id());
        states.forEach((state, count) -> out.putStates(state.name(), count));
        prepared.forEach((tid, at) -> out.addPrepared(PreparedTxn.newBuilder().setAttemptId(tid).setAgeMs(nowMs - at)));
        out.putAllTotals(service.totals());
        return out.setProtocolErrors(protocolErrors).build();
    }

    /** Largest page of {@link #list}. */
    public static final int MAX_LIST_PAGE = 10_000;

    /**
     * The local transactions whose ids sort after {@code after}, at most {@code limit} (capped at
     * {@link #MAX_LIST_PAGE}; 0 for the cap), in id order. Reads a page of the store and goes
     * through the cache for what the current batch changed: a harness's final read, not a hot path.
     */
    public TxnList list(String after, int limit) {
        int page = limit <= 0 ? MAX_LIST_PAGE : Math.min(limit, MAX_LIST_PAGE);
        // One more than the page, to know whether there is a next one. The cache's version of a
        // transaction is never older than the store's.
        TreeMap<String, LocalState> ids = new TreeMap<>();
        for (RecordReader.Entry e : store.scan(TXN_PREFIX, TXN_PREFIX + after, page + 1)) {
            ids.put(e.key().substring(TXN_PREFIX.length()), e.parse(StoredTxn.parser()).getState());
        }
        txns.forEach((tid, txn) -> {
            if (tid.compareTo(after) > 0) {
                ids.put(tid, txn.getState());
                if (ids.size() > page + 1) {
                    ids.pollLastEntry();
                }
            }
        });
        TxnList.Builder out = TxnList.newBuilder();
        for (Map.Entry<String, LocalState> e : ids.entrySet()) {
            if (out.getTxnsCount() == page) {
                out.setNext(out.getTxns(page - 1).getAttemptId());
                break;
            }
            out.addTxns(ListedTxn.newBuilder().setAttemptId(e.getKey()).setState(e.getValue()));
        }
        return out.build();
    }

    /** An attempt left prepared, and the digest of the request it prepared for. */
    public record InDoubt(String tid, long requestDigest) {
    }

    /** Prepared attempts that prepared at or before {@code cutoffMs}, oldest first. */
    public List<InDoubt> preparedSince(long cutoffMs) {
        List<InDoubt> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : prepared.entrySet()) {
            if (e.getValue() > cutoffMs) {
                break;
            }
            out.add(new InDoubt(e.getKey(), txns.get(e.getKey()).getRequestDigest()));
        }
        return out;
    }

    public Optional<LocalState> stateOf(String tid) {
        return Optional.ofNullable(txns.get(tid)).map(StoredTxn::getState);
    }

    public long protocolErrors() {
        return protocolErrors;
    }

    // --- helpers ---

    /** Stores the new version of a transaction ({@code before}: its previous one, null for a new one). */
    private void save(StoredTxn txn, StoredTxn before, RecordWriter out) {
        txns.put(txn.getTid(), txn);
        out.put(TXN_PREFIX + txn.getTid(), txn);
        count(before, txn);
    }

    private void count(StoredTxn before, StoredTxn after) {
        if (before != null) {
            states.merge(before.getState(), -1L, Long::sum);
        }
        states.merge(after.getState(), 1L, Long::sum);
        countersChanged = true;
    }

    private static Vote tombstoneVote(String tid) {
        return Vote.newBuilder().setYes(false).setCode(VoteCode.ALREADY_ROLLED_BACK)
                .setMessage(tid + " was rolled back here before it prepared").build();
    }

    private static void ack(ParticipantResponse.Builder reply, LocalState state) {
        ack(reply, state, false);
    }

    private static void ack(ParticipantResponse.Builder reply, LocalState state, boolean earlierRun) {
        reply.setAck(Ack.newBuilder().setState(state).setEarlierRun(earlierRun));
    }

    private void protocolError(ParticipantResponse.Builder reply, ErrorCode code, String message) {
        protocolErrors++;
        countersChanged = true;
        error(reply, code, service.name().id() + ": protocol error: " + message);
    }

    private boolean invalidTid(String tid, ParticipantResponse.Builder reply) {
        Optional<String> problem = AttemptId.problem(tid);
        problem.ifPresent(p -> error(reply, ErrorCode.INVALID_REQUEST, service.name().id() + ": " + p));
        return problem.isPresent();
    }

    private static void error(ParticipantResponse.Builder reply, ErrorCode code, String message) {
        reply.setError(code.toProto(message));
    }
}
