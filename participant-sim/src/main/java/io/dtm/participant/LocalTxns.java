package io.dtm.participant;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.participant.ParticipantCore.Start;
import io.dtm.participant.domain.DomainService;
import io.dtm.participant.domain.RecordCache;
import io.dtm.participant.domain.RecordReader;
import io.dtm.participant.domain.RecordWriter;
import io.dtm.participant.store.Counters;
import io.dtm.participant.store.PreparedEntry;
import io.dtm.participant.store.Seeded;
import io.dtm.participant.store.StoredTxn;
import io.dtm.protocol.participant.ListedTxn;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.TxnList;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A participant's local transactions as they are stored: the {@code txn/} records behind a bounded
 * cache, the prepared index ({@code prep/}), the counts per local state and of protocol errors
 * ({@code meta/counters}), loading, seeding and upgrading a store, and the batch boundary. What a
 * message does to a transaction is {@link ParticipantCore}'s; this class only keeps the table and
 * its indexes consistent with each other. Pure and single-threaded, like the core.
 *
 * <p>Only a bounded cache of the transactions is in memory; the others are read back from the store
 * through a {@link RecordReader} when a message names them. The caches are trimmed only at a batch
 * boundary ({@link #endBatch}), which the caller reaches after a group of messages and before it
 * writes their batch: until the batch is written the store lacks its changes, so the caches must
 * still hold them. The prepared transactions are indexed under {@code prep/} and the counts
 * {@code inspect} reports are kept as they change, so a start reads neither all transactions nor
 * all records.
 */
final class LocalTxns {
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
    /** Largest page of {@link #list}. */
    static final int MAX_LIST_PAGE = 10_000;
    private static final List<LocalState> COUNTED_STATES =
            List.of(LocalState.PREPARED, LocalState.VOTED_NO, LocalState.COMMITTED, LocalState.ROLLED_BACK);

    private final DomainService service;
    private final RecordReader store;
    private final RecordCache<String, StoredTxn> txns;
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

    LocalTxns(DomainService service, RecordReader store, int txnCapacity) {
        this.service = service;
        this.store = store;
        this.txns = new RecordCache<>(txnCapacity, attemptId -> store.get(TXN_PREFIX + attemptId, StoredTxn.parser()));
        COUNTED_STATES.forEach(s -> states.put(s, 0L));
    }

    /**
     * Loads what stays in memory from the store: the bookkeeping ({@code meta/}), the prepared
     * index ({@code prep/}) and the records the service keeps resident. Then call {@link #finishLoading}.
     */
    void loadResident() throws InvalidProtocolBufferException {
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
    void load(String key, byte[] value) throws InvalidProtocolBufferException {
        if (key.startsWith(TXN_PREFIX)) {
            StoredTxn txn = StoredTxn.parseFrom(value);
            txns.put(txn.getAttemptId(), txn);
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
    void finishLoading(long nowMs, RecordWriter out) {
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
            service.restore(txn.getAttemptId(), txn.getHold());
            prepared.put(txn.getAttemptId(), e.getValue());
        }
        loadedPrepared.clear();
        endBatch(out);
    }

    /** What {@link #finishLoading} found; null before. */
    Start start() {
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
        txns.forEach((attemptId, txn) -> upgrade(txn, out));
        service.upgradeStore();
        layoutVersion = LAYOUT_VERSION;
        countersChanged = true;
    }

    private void upgrade(StoredTxn txn, RecordWriter out) {
        count(null, txn);
        if (txn.getState() == LocalState.PREPARED) {
            loadedPrepared.put(txn.getAttemptId(), txn.getPreparedAtMs());
            out.put(PREPARED_PREFIX + txn.getAttemptId(), PreparedEntry.newBuilder().setPreparedAtMs(txn.getPreparedAtMs()).build());
        }
    }

    /**
     * A batch boundary: the caller has handled a group of messages into {@code out} and writes it
     * to the store before it calls anything else. Writes the counts if they changed and trims the
     * caches to their capacities.
     */
    void endBatch(RecordWriter out) {
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

    // --- the table ---

    /** The stored transaction {@code attemptId}, from the cache or the store; null when there is none. */
    StoredTxn get(String attemptId) {
        return txns.get(attemptId);
    }

    /** Stores the new version of a transaction ({@code before}: its previous one, null for a new one). */
    void save(StoredTxn txn, StoredTxn before, RecordWriter out) {
        txns.put(txn.getAttemptId(), txn);
        out.put(TXN_PREFIX + txn.getAttemptId(), txn);
        count(before, txn);
    }

    private void count(StoredTxn before, StoredTxn after) {
        if (before != null) {
            states.merge(before.getState(), -1L, Long::sum);
        }
        states.merge(after.getState(), 1L, Long::sum);
        countersChanged = true;
    }

    /** {@code attemptId} prepared at {@code nowMs}: indexed until it commits or rolls back. */
    void indexPrepared(String attemptId, long nowMs, RecordWriter out) {
        prepared.put(attemptId, nowMs);
        out.put(PREPARED_PREFIX + attemptId, PreparedEntry.newBuilder().setPreparedAtMs(nowMs).build());
    }

    /** {@code attemptId} committed or rolled back: out of the prepared index (put once, so deleted once). */
    void unindexPrepared(String attemptId, RecordWriter out) {
        prepared.remove(attemptId);
        out.deleteSinglePut(PREPARED_PREFIX + attemptId);
    }

    void countProtocolError() {
        protocolErrors++;
        countersChanged = true;
    }

    long protocolErrors() {
        return protocolErrors;
    }

    /** How many transactions are in each local state (a read-only view). */
    Map<LocalState, Long> states() {
        return Collections.unmodifiableMap(states);
    }

    /** The prepared attempts and when they prepared, oldest first (a read-only view). */
    Map<String, Long> prepared() {
        return Collections.unmodifiableMap(prepared);
    }

    /**
     * The local transactions whose ids sort after {@code after}, at most {@code limit} (capped at
     * {@link #MAX_LIST_PAGE}; 0 for the cap), in id order. Reads a page of the store and goes
     * through the cache for what the current batch changed: a harness's final read, not a hot path.
     */
    TxnList list(String after, int limit) {
        int page = limit <= 0 ? MAX_LIST_PAGE : Math.min(limit, MAX_LIST_PAGE);
        // One more than the page, to know whether there is a next one. The cache's version of a
        // transaction is never older than the store's.
        TreeMap<String, LocalState> ids = new TreeMap<>();
        for (RecordReader.Entry e : store.scan(TXN_PREFIX, TXN_PREFIX + after, page + 1)) {
            ids.put(e.key().substring(TXN_PREFIX.length()), e.parse(StoredTxn.parser()).getState());
        }
        txns.forEach((attemptId, txn) -> {
            if (attemptId.compareTo(after) > 0) {
                ids.put(attemptId, txn.getState());
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
}
