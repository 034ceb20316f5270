package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An in-memory store for tests, both writer and reader: keeps the changes since the last
 * {@link #clearChanges()} and, like the real store, the latest bytes of every key ever written,
 * which it reads back at once (as if every batch were written as soon as it is made).
 *
 * <p>It enforces what RocksDB cannot check: a {@link #deleteSinglePut} of a key put more than once
 * since its last delete throws, where RocksDB's {@code SingleDelete} would leave it undefined.
 */
public final class MemoryWriter implements RecordWriter, RecordReader {

    /** One reported change; {@code value} is null for a delete, {@code singlePut} for a {@link #deleteSinglePut}. */
    public record Change(String key, MessageLite value, boolean singlePut) {
        public Change(String key, MessageLite value) {
            this(key, value, false);
        }
    }

    private final List<Change> changes = new ArrayList<>();
    private final TreeMap<String, byte[]> store = new TreeMap<>();
    /** Puts of each key since its last delete. */
    private final Map<String, Integer> putsSinceDelete = new HashMap<>();
    private int gets;

    @Override
    public void put(String key, MessageLite value) {
        changes.add(new Change(key, value));
        store.put(key, value.toByteArray());
        putsSinceDelete.merge(key, 1, Integer::sum);
    }

    @Override
    public void delete(String key) {
        changes.add(new Change(key, null));
        store.remove(key);
        putsSinceDelete.remove(key);
    }

    @Override
    public void deleteSinglePut(String key) {
        Integer puts = putsSinceDelete.remove(key);
        if (puts != null && puts > 1) {
            throw new IllegalStateException(key + " was put " + puts + " times since it was last deleted:"
                    + " a single-put delete of it would be undefined in RocksDB");
        }
        changes.add(new Change(key, null, true));
        store.remove(key);
    }

    @Override
    public byte[] get(String key) {
        gets++;
        return store.get(key);
    }

    /** Keys are compared as strings: the same order as the store's bytewise one for the ASCII keys of the tests. */
    @Override
    public List<Entry> scan(String prefix, String after, int limit) {
        List<Entry> out = new ArrayList<>();
        SortedMap<String, byte[]> tail = after.compareTo(prefix) >= 0 ? store.tailMap(after, false)
                : store.tailMap(prefix, true);
        for (Map.Entry<String, byte[]> e : tail.entrySet()) {
            if (out.size() == limit || !e.getKey().startsWith(prefix)) {
                break;
            }
            out.add(new Entry(e.getKey(), e.getValue()));
        }
        return out;
    }

    public List<Change> changes() {
        return List.copyOf(changes);
    }

    public List<String> changedKeys() {
        return changes.stream().map(Change::key).toList();
    }

    public void clearChanges() {
        changes.clear();
    }

    /**
     * Writes the changes collected here into {@code store} and forgets them, as the engine writes a
     * batch: with this one as the batch and {@code store} as what the services read, a read sees a
     * change only once its batch is written.
     */
    public void writeTo(MemoryWriter store) {
        for (Change change : changes) {
            if (change.singlePut()) {
                store.deleteSinglePut(change.key());
            } else if (change.value() == null) {
                store.delete(change.key());
            } else {
                store.put(change.key(), change.value());
            }
        }
        changes.clear();
    }

    /** How many point lookups read this store: a cache hit reads nothing. */
    public int gets() {
        return gets;
    }

    public Map<String, byte[]> store() {
        return store;
    }

    /** Loads everything stored into {@code service}, as a restarted participant does. */
    public void loadInto(DomainService service) throws InvalidProtocolBufferException {
        for (Map.Entry<String, byte[]> entry : store.entrySet()) {
            service.load(entry.getKey(), entry.getValue());
        }
    }
}
