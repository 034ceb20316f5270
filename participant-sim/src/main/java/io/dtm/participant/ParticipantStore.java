package io.dtm.participant;

import com.google.protobuf.MessageLite;
import io.dtm.participant.domain.RecordWriter;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A participant's durable store: RocksDB. A synced write has its WAL fsynced before it returns, so
 * it survives a crash of the process or the machine; an unsynced write survives a crash of the
 * process (it is in the operating system's cache) and becomes durable with the next synced write
 * or {@link #syncWal} (the WAL is one sequential file: syncing it syncs everything before).
 */
final class ParticipantStore implements AutoCloseable {
    static {
        RocksDB.loadLibrary();
    }

    /** Receives every stored key and value at startup. */
    interface Visitor {
        void visit(String key, byte[] value) throws IOException;
    }

    private final RocksDB db;
    private final Options options;
    private final WriteOptions synced;
    private final WriteOptions unsynced;

    private ParticipantStore(RocksDB db, Options options) {
        this.db = db;
        this.options = options;
        this.synced = new WriteOptions().setSync(true);
        this.unsynced = new WriteOptions().setSync(false);
    }

    static ParticipantStore open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true);
        try {
            return new ParticipantStore(RocksDB.open(options, dir.toString()), options);
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open the store in " + dir + ": " + e.getMessage()
                    + " (is another process of this service running on the same data?)", e);
        }
    }

    void forEach(Visitor visitor) throws IOException {
        try (RocksIterator it = db.newIterator()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                visitor.visit(new String(it.key(), StandardCharsets.UTF_8), it.value());
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException("cannot read the store: " + e.getMessage(), e);
        }
    }

    /** A batch of changes, written at once by {@link #write}. */
    static final class Batch implements RecordWriter, AutoCloseable {
        private final WriteBatch batch = new WriteBatch();

        @Override
        public void put(String key, MessageLite value) {
            try {
                batch.put(key.getBytes(StandardCharsets.UTF_8), value.toByteArray());
            } catch (RocksDBException e) {
                throw new IllegalStateException("cannot add to a write batch", e);
            }
        }

        @Override
        public void delete(String key) {
            try {
                batch.delete(key.getBytes(StandardCharsets.UTF_8));
            } catch (RocksDBException e) {
                throw new IllegalStateException("cannot add to a write batch", e);
            }
        }

        boolean isEmpty() {
            return batch.count() == 0;
        }

        @Override
        public void close() {
            batch.close();
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
        try {
            db.write(sync ? synced : unsynced, batch.batch);
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
    }
}
