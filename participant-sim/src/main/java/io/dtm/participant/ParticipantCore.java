package io.dtm.participant;

import io.dtm.protocol.AttemptId;
import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.participant.domain.Decision;
import io.dtm.participant.domain.DomainService;
import io.dtm.participant.domain.RecordCache;
import io.dtm.participant.domain.RecordReader;
import io.dtm.participant.domain.RecordWriter;
import io.dtm.participant.store.StoredTxn;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.InspectReply;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 * <p>The table itself (the stored transactions behind a bounded cache, the prepared index, the
 * counts, loading and batches) is {@link LocalTxns}.
 */
public final class ParticipantCore {
    /** Transactions kept in memory by default: see {@link #ParticipantCore(DomainService, RecordReader, int)}. */
    public static final int DEFAULT_TXN_CACHE = 50_000;

    private final DomainService service;
    private final LocalTxns txns;
    /** Every message is a batch of its own: for a caller without batches. */
    private final boolean batchPerMessage;

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
        this.txns = new LocalTxns(service, store, txnCapacity);
        this.batchPerMessage = batchPerMessage;
    }

    public DomainService service() {
        return service;
    }

    // --- startup and batches (the table's) ---

    /**
     * Loads what stays in memory from the store: the bookkeeping ({@code meta/}), the prepared
     * index ({@code prep/}) and the records the service keeps resident. Then call {@link #finishLoading}.
     */
    public void loadResident() throws InvalidProtocolBufferException {
        txns.loadResident();
    }

    /**
     * Loads one persisted key/value (any order); call {@link #finishLoading} after the last one.
     * {@link #loadResident} gives it what it needs; a transaction or record given besides is cached.
     */
    public void load(String key, byte[] value) throws InvalidProtocolBufferException {
        txns.load(key, value);
    }

    /**
     * Seeds a new store, or upgrades one written before the prepared index, then re-takes the holds
     * of every transaction still prepared, oldest first. Ends a batch: write {@code out} next.
     */
    public void finishLoading(long nowMs, RecordWriter out) {
        txns.finishLoading(nowMs, out);
    }

    /** What {@link #finishLoading} found; null before. */
    public Start start() {
        return txns.start();
    }

    /**
     * A batch boundary: the caller has handled a group of messages into {@code out} and writes it
     * to the store before it calls anything else. Writes the counts if they changed and trims the
     * caches to their capacities.
     */
    public void endBatch(RecordWriter out) {
        txns.endBatch(out);
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
        String attemptId = prepare.getAttemptId();
        if (invalidTid(attemptId, reply)) {
            return;
        }
        StoredTxn existing = txns.get(attemptId);
        if (existing != null) {
            reply.setVote(duplicatePrepare(existing, prepare, out));
            return;
        }
        Decision decision = forceNo
                ? Decision.no(VoteCode.FORCED_NO, service.name().id() + ": fault injection forced a NO vote")
                : service.prepare(attemptId, prepare, nowMs, out);
        StoredTxn.Builder txn = StoredTxn.newBuilder().setAttemptId(attemptId).setVote(decision.vote()).setPreparedAtMs(nowMs)
                .setRequestDigest(prepare.getRequestDigest()).setRunId(prepare.getRunId());
        if (decision.isYes() && prepare.getOnePhase()) {
            // One-phase commit: this participant decides; prepare and commit land in one write.
            service.commit(attemptId, decision.hold(), out);
            txn.setState(LocalState.COMMITTED).setHold(decision.hold());
        } else if (decision.isYes()) {
            txn.setState(LocalState.PREPARED).setHold(decision.hold());
            txns.indexPrepared(attemptId, nowMs, out);
        } else {
            txn.setState(LocalState.VOTED_NO);
        }
        txns.save(txn.build(), null, out);
        reply.setVote(decision.vote());
    }

    /** A PREPARE of an attempt this participant has seen before: see the class comment on runs. */
    private Vote duplicatePrepare(StoredTxn existing, Prepare prepare, RecordWriter out) {
        String attemptId = existing.getAttemptId();
        long run = prepare.getRunId();
        LocalState state = existing.getState();
        if (state != LocalState.PREPARED && differentRuns(run, existing.getRunId())) {
            Vote.Builder refusal = Vote.newBuilder().setYes(false).setCode(VoteCode.EARLIER_RUN)
                    .setMessage(service.name().id() + ": " + attemptId + " already ran here, in an earlier run that ended "
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
                    .setMessage(service.name().id() + ": " + attemptId + " is already used here for another request").build();
        }
        return switch (state) {
            case PREPARED -> {
                if (differentRuns(run, existing.getRunId())) {
                    txns.save(existing.toBuilder().setRunId(run).build(), existing, out); // the new run takes it over
                }
                yield existing.getVote();
            }
            case ROLLED_BACK -> existing.hasVote() && existing.getVote().getYes()
                    ? Vote.newBuilder().setYes(false).setCode(VoteCode.ALREADY_ROLLED_BACK)
                            .setMessage(service.name().id() + ": " + attemptId + " was rolled back here").build()
                    : existing.hasVote() ? existing.getVote() : tombstoneVote(attemptId);
            case COMMITTED, VOTED_NO -> existing.getVote();
            default -> throw new IllegalStateException(attemptId + " stored in state " + state);
        };
    }

    /** Both runs known and not the same (0 is "not known" and matches any). */
    private static boolean differentRuns(long a, long b) {
        return a != 0 && b != 0 && a != b;
    }

    private void commit(String attemptId, RecordWriter out, ParticipantResponse.Builder reply) {
        if (invalidTid(attemptId, reply)) {
            return;
        }
        StoredTxn txn = txns.get(attemptId);
        if (txn == null) {
            protocolError(reply, ErrorCode.NOT_FOUND, "COMMIT for " + attemptId + ", which never prepared here");
            return;
        }
        switch (txn.getState()) {
            case PREPARED -> {
                service.commit(attemptId, txn.getHold(), out);
                txns.unindexPrepared(attemptId, out);
                txns.save(txn.toBuilder().setState(LocalState.COMMITTED).build(), txn, out);
                ack(reply, LocalState.COMMITTED);
            }
            case COMMITTED -> ack(reply, LocalState.COMMITTED);
            case VOTED_NO -> protocolError(reply, ErrorCode.CONFLICT, "COMMIT for " + attemptId + ", which voted NO here");
            case ROLLED_BACK -> protocolError(reply, ErrorCode.CONFLICT,
                    "COMMIT for " + attemptId + ", which was rolled back here");
            default -> throw new IllegalStateException(attemptId + " stored in state " + txn.getState());
        }
    }

    private void rollback(Rollback rollback, RecordWriter out, ParticipantResponse.Builder reply) {
        String attemptId = rollback.getAttemptId();
        if (invalidTid(attemptId, reply)) {
            return;
        }
        long run = rollback.getRunId();
        StoredTxn txn = txns.get(attemptId);
        if (txn == null) {
            // The ROLLBACK overtook its PREPARE (or the PREPARE never came): leave a tombstone so
            // a late PREPARE votes NO instead of holding records nobody will release.
            txns.save(StoredTxn.newBuilder().setAttemptId(attemptId).setState(LocalState.ROLLED_BACK).setRunId(run).build(), null, out);
            ack(reply, LocalState.ROLLED_BACK, false);
            return;
        }
        boolean earlierRun = differentRuns(run, txn.getRunId());
        switch (txn.getState()) {
            case PREPARED -> {
                service.rollback(attemptId, txn.getHold(), out);
                txns.unindexPrepared(attemptId, out);
                txns.save(txn.toBuilder().setState(LocalState.ROLLED_BACK).setRunId(run != 0 ? run : txn.getRunId()).build(),
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
                    protocolError(reply, ErrorCode.CONFLICT, "ROLLBACK for " + attemptId + ", which was committed here");
                }
            }
            default -> throw new IllegalStateException(attemptId + " stored in state " + txn.getState());
        }
    }

    private void query(String attemptId, ParticipantResponse.Builder reply) {
        if (!invalidTid(attemptId, reply)) {
            reply.setTxn(localTxn(attemptId));
        }
    }

    /** A transaction's local state and effects; state NONE when this participant never heard of it. */
    public LocalTxn localTxn(String attemptId) {
        StoredTxn txn = txns.get(attemptId);
        if (txn == null) {
            return LocalTxn.newBuilder().setAttemptId(attemptId).setState(LocalState.NONE).build();
        }
        LocalTxn.Builder out = LocalTxn.newBuilder().setAttemptId(attemptId).setState(txn.getState())
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
        txns.states().forEach((state, count) -> out.putStates(state.name(), count));
        txns.prepared().forEach((attemptId, at) -> out.addPrepared(PreparedTxn.newBuilder().setAttemptId(attemptId)
                .setAgeMs(nowMs - at)));
        out.putAllTotals(service.totals());
        return out.setProtocolErrors(txns.protocolErrors()).build();
    }

    /** Largest page of {@link #list}. */
    public static final int MAX_LIST_PAGE = LocalTxns.MAX_LIST_PAGE;

    /**
     * The local transactions whose ids sort after {@code after}, at most {@code limit} (capped at
     * {@link #MAX_LIST_PAGE}; 0 for the cap), in id order: a harness's final read, not a hot path.
     */
    public TxnList list(String after, int limit) {
        return txns.list(after, limit);
    }

    /** An attempt left prepared, and the digest of the request it prepared for. */
    public record InDoubt(String attemptId, long requestDigest) {
    }

    /** Prepared attempts that prepared at or before {@code cutoffMs}, oldest first. */
    public List<InDoubt> preparedSince(long cutoffMs) {
        List<InDoubt> out = new ArrayList<>();
        for (Map.Entry<String, Long> e : txns.prepared().entrySet()) {
            if (e.getValue() > cutoffMs) {
                break;
            }
            out.add(new InDoubt(e.getKey(), txns.get(e.getKey()).getRequestDigest()));
        }
        return out;
    }

    public Optional<LocalState> stateOf(String attemptId) {
        return Optional.ofNullable(txns.get(attemptId)).map(StoredTxn::getState);
    }

    public long protocolErrors() {
        return txns.protocolErrors();
    }

    // --- helpers ---

    private static Vote tombstoneVote(String attemptId) {
        return Vote.newBuilder().setYes(false).setCode(VoteCode.ALREADY_ROLLED_BACK)
                .setMessage(attemptId + " was rolled back here before it prepared").build();
    }

    private static void ack(ParticipantResponse.Builder reply, LocalState state) {
        ack(reply, state, false);
    }

    private static void ack(ParticipantResponse.Builder reply, LocalState state, boolean earlierRun) {
        reply.setAck(Ack.newBuilder().setState(state).setEarlierRun(earlierRun));
    }

    private void protocolError(ParticipantResponse.Builder reply, ErrorCode code, String message) {
        txns.countProtocolError();
        error(reply, code, service.name().id() + ": protocol error: " + message);
    }

    private boolean invalidTid(String attemptId, ParticipantResponse.Builder reply) {
        Optional<String> problem = AttemptId.problem(attemptId);
        problem.ifPresent(p -> error(reply, ErrorCode.INVALID_REQUEST, service.name().id() + ": " + p));
        return problem.isPresent();
    }

    private static void error(ParticipantResponse.Builder reply, ErrorCode code, String message) {
        reply.setError(code.toProto(message));
    }
}
