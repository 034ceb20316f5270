package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;

import java.util.List;

/**
 * Reads durable state back: a point lookup and a bounded scan of a key prefix, both synchronous
 * (RocksDB in production, a map in tests). It sees what was written through a {@link RecordWriter}
 * only once the engine has written that batch to the store; what the current batch changed is the
 * caller's to remember.
 */
public interface RecordReader {

    /** Reads nothing: for state that lives only in memory. */
    RecordReader NONE = new RecordReader() {
        @Override
        public byte[] get(String key) {
            return null;
        }

        @Override
        public List<Entry> scan(String prefix, String after, int limit) {
            return List.of();
        }
    };

    /** One stored key and its value. */
    record Entry(String key, byte[] value) {
        public <T> T parse(Parser<T> parser) {
            return RecordReader.parse(key, value, parser);
        }
    }

    /** Receives the entries of {@link #forEach}; may throw {@code E}. */
    interface Visitor<E extends Exception> {
        void visit(String key, byte[] value) throws E;
    }

    /** The stored value of {@code key}, or null when there is none. */
    byte[] get(String key);

    /** The stored value of {@code key} as a {@code T}, or null when there is none. */
    default <T> T get(String key, Parser<T> parser) {
        byte[] value = get(key);
        return value == null ? null : parse(key, value, parser);
    }

    /**
     * Up to {@code limit} entries whose keys start with {@code prefix} and sort strictly after
     * {@code after} (bytewise, as UTF-8), in key order. {@code after} is a whole key; pass the
     * prefix itself to start at the beginning.
     */
    List<Entry> scan(String prefix, String after, int limit);

    /** Every entry under {@code prefix}, in key order, a page at a time. */
    default <E extends Exception> void forEach(String prefix, Visitor<E> visitor) throws E {
        int page = 1024;
        String after = prefix;
        while (true) {
            List<Entry> entries = scan(prefix, after, page);
            for (Entry e : entries) {
                visitor.visit(e.key(), e.value());
            }
            if (entries.size() < page) {
                return;
            }
            after = entries.get(entries.size() - 1).key();
        }
    }

    /** A stored value as a {@code T}; one that does not parse means a broken store, not bad input. */
    static <T> T parse(String key, byte[] value, Parser<T> parser) {
        try {
            return parser.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("the store holds an unreadable " + key, e);
        }
    }
}
