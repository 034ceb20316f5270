package io.dtm.participant.domain;

import com.google.protobuf.MessageLite;

/**
 * Collects the changes one message makes to durable state. The engine writes everything a batch
 * of messages collected in one synced write before any of their replies leaves the process.
 */
public interface RecordWriter {
    void put(String key, MessageLite value);

    void delete(String key);

    /**
     * Deletes a key that was put at most once since it was last deleted (and is never deleted
     * with {@link #delete}). A store may then drop that put and this delete together as soon as
     * they meet (RocksDB's {@code SingleDelete}) instead of carrying a tombstone through every
     * compaction; for a key put twice the outcome would be undefined. Writers without such a
     * store delete.
     */
    default void deleteSinglePut(String key) {
        delete(key);
    }
}
