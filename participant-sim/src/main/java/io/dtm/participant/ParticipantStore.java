package io.dtm.participant;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.dtm.participant.domain.RecordReader;
import io.dtm.participant.domain.RecordWriter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A participant's durable store: RocksDB. A synced write has its WAL fsynced before it returns, so
 * it survives a crash of the process or the machine; an unsynced write survives a crash of the
 * process (it is in the operating system's cache) and becomes durable with the next synced write
 * or {@link #syncWal} (the WAL is one sequential file: syncing it syncs everything before).
 *
 * <p>Reads see every write made so far, synced or not. Its tables carry bloom filters, so that
 * looking up a key that was never written (a new tid, a new order id: every PREPARE does) rarely
 * touches a data block.
 */
final class ParticipantStore implements RecordReader, AutoCloseable {
    static {
        RocksDbLibrary.load();
    }

    /** Bits per key of the bloom filters: about 1% false positives. */
    private static final double BLOOM_BITS_PER_KEY = 10;
    /**
     * The memtable's bloom filter as a share of the memtable: 2% of the default 64 MB is 1.3 MB,
     * 16 bits or more a key for entries of 100 bytes or more.
     */
    private static final double MEMTABLE_BLOOM_RATIO = 0.02;

    private final RocksDB db;
    private final Options options;
    private final BloomFilter bloom;
    private final WriteOptions synced;
    private final WriteOptions unsynced;

    private ParticipantStore(RocksDB db, Options options, BloomFilter bloom) {
        this.db = db;
        this.options = options;
        this.bloom = bloom;
        this.synced = new WriteOptions().setSync(true);
        this.unsynced = new WriteOptions().setSync(false);
    }

    static ParticipantStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        BloomFilter bloom = new BloomFilter(BLOOM_BITS_PER_KEY);
        // No compression: a service's live data is a few megabytes, rewritten all the time, and
        // compressing it in every flush and compaction was a tenth of a service's CPU (async-profiler).
        // The memtable's bloom filter: every PREPARE looks up keys that do not exist yet (its tid,
        // a new order id), and without it each such lookup searches the memtable's skip list to
        // the bottom.
        Options options = new Options().setCreateIfMissing(true)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setMemtableWholeKeyFiltering(true)
                .setMemtablePrefixBloomSizeRatio(MEMTABLE_BLOOM_RATIO)
                .setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(bloom));
        try {
            return new ParticipantStore(RocksDB.open(options, dir.toString()), options, bloom);
        } catch (RocksDBException e) {
            options.close();
            bloom.close();
            throw new IOException("cannot open the store in " + dir + ": " + e.getMessage()
                    + " (is another process of this service running on the same data?)", e);
        }
    }

    @Override
    public byte[] get(String key) {
        try {
            return db.get(key.getBytes(StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("cannot read " + key + ": " + e.getMessage(), e));
        }
    }

    @Override
    public List<Entry> scan(String prefix, String after, int limit) {
        byte[] start = prefix.getBytes(StandardCharsets.UTF_8);
        byte[] from = after.getBytes(StandardCharsets.UTF_8);
        List<Entry> out = new ArrayList<>();
        byte[] end = successor(start);
        // The upper bound keeps the iterator from walking past the prefix (through the deletions beyond it).
        try (Slice bound = end == null ? null : new Slice(end);
                ReadOptions read = bound == null ? new ReadOptions() : new ReadOptions().setIterateUpperBound(bound);
                RocksIterator it = db.newIterator(read)) {
            it.seek(Arrays.compareUnsigned(from, start) > 0 ? from : start);
            for (; it.isValid() && out.size() < limit; it.next()) {
                byte[] key = it.key();
                if (!startsWith(key, start)) {
                    break;
                }
                if (Arrays.compareUnsigned(key, from) > 0) {
                    out.add(new Entry(new String(key, StandardCharsets.UTF_8), it.value()));
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new UncheckedIOException(new IOException("cannot scan " + prefix + ": " + e.getMessage(), e));
        }
        return out;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The smallest key after every key that starts with {@code prefix}; null when there is none. */
    private static byte[] successor(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return null;
    }

    /**
     * A batch of changes, written at once by {@link #write}. Only the last change of each key is
     * written: a group of messages rewrites its hot records (a shipping day, an order total, a
     * popular SKU) once per message, and every write is a search and an insert in RocksDB's
     * memtable, the largest single cost of a service (async-profiler). Values are serialised at the
     * write, so the ones overwritten are never serialised at all.
     *
     * <p>The changes reach RocksDB in key order. The memtable's skip list remembers where its last
     * insert went and starts the next search from there: keys in order, as neighbours, cost a short
     * step each, whereas keys in the order the messages touched them (transaction records, prepared
     * entries and domain records interleaved) each cost a search from the top, which
     * async-profiler had at 17% of a service's CPU ({@code RecomputeSpliceLevels}).
     *
     * <p>The batch is handed to RocksDB in its serialised form, built here ({@link #serialized}),
     * in one call: RocksJava's {@code WriteBatch.put} is a native call per key, which async-profiler
     * had at 2.5–3.2% of a service.
     */
    static final class Batch implements RecordWriter {
        /** The last value of each key changed, or {@link #DELETE} or {@link #SINGLE_DELETE}. */
        private final Map<String, Object> changes = new HashMap<>();
        private static final Object DELETE = new Object();
        private static final Object SINGLE_DELETE = new Object();

        // Record tags of RocksDB's serialised write batch (db/dbformat.h: kTypeDeletion,
        // kTypeValue, kTypeSingleDeletion); the format is the WAL's, stable across releases.
        private static final byte TAG_DELETE = 0x0;
        private static final byte TAG_PUT = 0x1;
        private static final byte TAG_SINGLE_DELETE = 0x7;
        /** A sequence number (fixed64, RocksDB assigns it at the write) and the record count (fixed32). */
        private static final int HEADER_BYTES = 12;

        @Override
        public void put(String key, MessageLite value) {
            changes.put(key, value);
        }

        @Override
        public void delete(String key) {
            changes.put(key, DELETE);
        }

        @Override
        public void deleteSinglePut(String key) {
            changes.put(key, SINGLE_DELETE);
        }

        boolean isEmpty() {
            return changes.isEmpty();
        }

        /** Keys changed: what the write will carry. */
        int size() {
            return changes.size();
        }

        /**
         * The keys changed, in the order they are written: compared as Java strings, which is
         * RocksDB's byte order for the ASCII keys the services use. For other keys the order is
         * only a hint to the memtable, never a matter of correctness (each key occurs once).
         */
        String[] keysInWriteOrder() {
            String[] keys = changes.keySet().toArray(new String[0]);
            Arrays.sort(keys);
            return keys;
        }

        /**
         * The batch in RocksDB's serialised form ({@code db/write_batch.cc}): a 12-byte header
         * (sequence 0, then the count, little-endian), then per key a tag byte, the key and, for a
         * put, the value, each as a varint32 length and its bytes (protobuf's length-delimited
         * encoding is the same).
         */
        byte[] serialized() {
            String[] keys = keysInWriteOrder();
            int size = HEADER_BYTES;
            for (String key : keys) {
                Object value = changes.get(key);
                size += 1 + CodedOutputStream.computeStringSizeNoTag(key);
                if (value instanceof MessageLite message) {
                    size += CodedOutputStream.computeMessageSizeNoTag(message);
                }
            }
            byte[] rep = new byte[size];
            CodedOutputStream out = CodedOutputStream.newInstance(rep);
            try {
                out.writeFixed64NoTag(0);
                out.writeFixed32NoTag(keys.length);
                for (String key : keys) {
                    Object value = changes.get(key);
                    if (value instanceof MessageLite message) {
                        out.write(TAG_PUT);
                        out.writeStringNoTag(key);
                        out.writeMessageNoTag(message);
                    } else {
                        out.write(value == SINGLE_DELETE ? TAG_SINGLE_DELETE : TAG_DELETE);
                        out.writeStringNoTag(key);
                    }
                }
                out.checkNoSpaceLeft();
            } catch (IOException e) {
                throw new IllegalStateException("serialising a write batch of " + size + " bytes", e);
            }
            return rep;
        }
    }

    /** Writes and fsyncs the batch; when this returns, every change in it survives a crash. */
    void write(Batch batch) throws IOException {
        write(batch, true);
    }

    /**
     * Writes the batch, fsynced when {@code sync}; unsynced, it survives a crash of the process but
     * not of the machine until the next synced write or {@link #syncWal}.
     */
    void write(Batch batch, boolean sync) throws IOException {
        try (WriteBatch changes = new WriteBatch(batch.serialized())) {
            db.write(sync ? synced : unsynced, changes);
        } catch (RocksDBException e) {
            throw new IOException((sync ? "synced" : "unsynced") + " write failed: " + e.getMessage(), e);
        }
    }

    /** Fsyncs the WAL: every write so far, synced or not, survives a crash of the machine. */
    void syncWal() throws IOException {
        try {
            db.syncWal();
        } catch (RocksDBException e) {
            throw new IOException("syncing the WAL failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        synced.close();
        unsynced.close();
        db.close();
        options.close();
        bloom.close();
    }
}
