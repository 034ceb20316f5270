package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.participant.store.Hold;
import io.dtm.protocol.participant.Prepare;

import java.util.List;
import java.util.Map;

/**
 * The business of one participant service: its records, its rules, and what PREPARE, COMMIT and
 * ROLLBACK do to them.
 *
 * <p>Pure and single-threaded: no threads, no network, no clock (the caller passes the time). State
 * changes happen in memory at once and are reported to a {@link RecordWriter}; the caller makes
 * them durable before it answers. Records live under keys {@code rec/<kind>/<id>}.
 *
 * <p>A service whose records grow with the transactions (orders, shipments) keeps only a bounded
 * cache of them, reads the others back through a {@link RecordReader} when named, and keeps what it
 * counts over them as they change; a start loads only the records under {@link #residentPrefixes}.
 * It trims its caches only at {@link #endBatch}, which the caller reaches before it writes the
 * batch: until then the store lacks the batch's changes, so the caches must still hold them.
 *
 * <p>The local transaction table (duplicates, tombstones, states) is not the service's concern:
 * the caller calls {@link #prepare} once per tid, and {@link #commit} or {@link #rollback} once
 * per tid that prepared.
 */
public interface DomainService {

    ServiceName name();

    /** Writes the initial records, deterministically (same data on every first start). */
    void seed(RecordWriter out);

    /**
     * The key prefixes of the records that are all in memory, loaded at startup (e.g. the SKUs);
     * the others are read through the service's {@link RecordReader} when named.
     */
    List<String> residentPrefixes();

    /**
     * Loads one persisted record at startup; keys are those this service wrote. Gets every record
     * under {@link #residentPrefixes}; another record given besides is cached.
     */
    void load(String key, byte[] value) throws InvalidProtocolBufferException;

    /**
     * Once, after its resident records were loaded, on a store written before the service kept its
     * counts in records of their own: rebuilds them (reading every record of the kind if need be),
     * to be written at the next {@link #endBatch}.
     */
    default void upgradeStore() {
    }

    /**
     * Validates the request and, when every rule holds, reserves what it needs and holds its records
     * for {@code attemptId} (another PREPARE touching them votes LOCKED until COMMIT or ROLLBACK). A NO vote
     * changes nothing. Malformed input is a NO vote naming the field, never an exception.
     */
    Decision prepare(String attemptId, Prepare request, long nowMs, RecordWriter out);

    /** After a restart: takes the holds of a transaction that is still prepared (its reservations are already in the records). */
    void restore(String attemptId, Hold hold);

    /** Makes a prepared transaction's effects final, installs new record versions, and releases its holds. */
    void commit(String attemptId, Hold hold, RecordWriter out);

    /** Undoes a prepared transaction's reservations and releases its holds. Versions do not change. */
    void rollback(String attemptId, Hold hold, RecordWriter out);

    /**
     * A batch boundary: everything the batch changed has been reported to {@code out}, and the
     * caller writes it to the store before it calls anything else. Writes the service's counts if
     * they changed and trims its caches.
     */
    default void endBatch(RecordWriter out) {
    }

    /** Domain totals for inspection and conservation checks, in a stable order (e.g. initialStock, available, reserved, sold). */
    Map<String, Long> totals();

    /** What a hold means, in words (e.g. "reserve sku-0001 x2"), for {@code dtm inspect --tid}. */
    List<String> describe(Hold hold);
}
