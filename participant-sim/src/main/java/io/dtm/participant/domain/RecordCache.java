package io.dtm.participant.domain;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The records of one kind that are in memory: a bounded cache in front of the store, least
 * recently used out first. A miss reads the record through a loader (from a {@link RecordReader}).
 *
 * <p>Nothing leaves the cache between batch boundaries ({@link #endBatch}): a record changed by the
 * current batch is not in the store yet, so reading it back from there would find the older value.
 * A deleted record stays known as deleted for the same reason. A miss is remembered until the
 * boundary too: a PREPARE typically looks a new id up twice (to check it, then to take it), and a
 * lookup of an id the store lacks costs RocksDB a memtable search and a bloom check per table. Until
 * the boundary that answer cannot change, since every change goes through here and the batch reaches
 * the store only after it. So between boundaries the cache may hold up to one batch's worth of
 * records more than its capacity.
 *
 * @param <K> the record's id
 * @param <V> the record
 */
public final class RecordCache<K, V> {

    /** For state that lives only in memory: nothing is ever evicted. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    private static final Object DELETED = new Object();
    /** Looked up and not in the store (remembered until the boundary). */
    private static final Object ABSENT = new Object();

    private final int capacity;
    private final Function<K, V> loader;
    /** Access order: least recently used first. Values are records, {@link #DELETED} or {@link #ABSENT}. */
    private final LinkedHashMap<K, Object> entries = new LinkedHashMap<>(16, 0.75f, true);
    /** Deleted or found absent since the last boundary. */
    private final List<K> forgetAtBoundary = new ArrayList<>();

    /** {@code loader} reads a record that is not cached from the store: null when there is none. */
    public RecordCache(int capacity, Function<K, V> loader) {
        if (capacity < 1) {
            throw new IllegalArgumentException("a cache holds at least one record, got capacity " + capacity);
        }
        this.capacity = capacity;
        this.loader = loader;
    }

    /** The current record of {@code id}, from memory or else from the store; null when there is none. */
    @SuppressWarnings("unchecked")
    public V get(K id) {
        Object cached = entries.get(id);
        if (cached == DELETED || cached == ABSENT) {
            return null;
        }
        if (cached != null) {
            return (V) cached;
        }
        V loaded = loader.apply(id);
        if (loaded != null) {
            entries.put(id, loaded);
        } else {
            entries.put(id, ABSENT);
            forgetAtBoundary.add(id);
        }
        return loaded;
    }

    /** A record just written (or loaded at startup). */
    public void put(K id, V record) {
        entries.put(id, record);
    }

    /** A record just deleted: it is known as deleted until the store has the deletion too. */
    public void delete(K id) {
        entries.put(id, DELETED);
        forgetAtBoundary.add(id);
    }

    /**
     * A batch boundary: call it once everything the batch changed has been reported to the writer,
     * and make sure the batch is in the store before anything reads this cache again. Forgets the
     * deletions and the misses, and evicts the least recently used records beyond the capacity.
     */
    public void endBatch() {
        for (K id : forgetAtBoundary) {
            if (!entries.remove(id, DELETED)) {
                entries.remove(id, ABSENT);
            }
        }
        forgetAtBoundary.clear();
        Iterator<Object> oldest = entries.values().iterator();
        for (int excess = entries.size() - capacity; excess > 0; excess--) {
            oldest.next();
            oldest.remove();
        }
    }

    /** Whether {@code id} is in memory (as deleted, too): a miss would not read the store. */
    public boolean contains(K id) {
        return entries.containsKey(id);
    }

    /** Records in memory, deletions and misses not yet forgotten included. */
    public int size() {
        return entries.size();
    }

    /**
     * Every record in memory (least recently used first), and null for those deleted since the last
     * boundary; their recency does not change. What is not visited is unchanged in the store.
     */
    @SuppressWarnings("unchecked")
    public void forEach(BiConsumer<K, V> visitor) {
        for (Map.Entry<K, Object> e : entries.entrySet()) {
            if (e.getValue() != ABSENT) {
                visitor.accept(e.getKey(), e.getValue() == DELETED ? null : (V) e.getValue());
            }
        }
    }
}
