package io.dtm.log.state;

import com.carrotsearch.hppc.LongHashSet;
import io.dtm.protocol.Sha256;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The log's memory of attempt ids whose outcome it no longer retains: a bounded, first-in
 * first-out set of 64-bit fingerprints. An outcome evicted from retention leaves its fingerprint
 * here, so that a resubmitted tid is refused ("no longer retained") instead of running again as if
 * it were new, for {@code capacity} more evictions.
 *
 * <p>Why fingerprints: an outcome costs about 135 bytes (TxnLogStateFootprintTest), a fingerprint
 * about 19 (8 in the ring that keeps the order, about 11 in the hash set at its load factor), so the
 * log remembers that an id was used for many times longer than what became of it. The fingerprint is
 * the first 8 bytes of the SHA-256 of the id: two ids share one with probability about n / 2^64
 * per lookup (5e-13 with 10 million remembered), and nobody can choose a tid that collides with
 * another's. A collision would refuse a new tid as "no longer retained" (never run it twice, never
 * answer with another's outcome).
 *
 * <p>Deterministic (every replica that adds the same ids in the same order holds the same set) and
 * not thread-safe, like {@link TxnLogState}.
 */
final class ForgottenIds {
    private final int capacity;
    /**
     * Fingerprints in the order they were added; {@code head} is the oldest. It starts small and
     * doubles up to the capacity: an idle log does not hold megabytes of zeros.
     */
    private long[] ring;
    private int head;
    private int size;
    private long dropped;
    private final LongHashSet members;

    ForgottenIds(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity must not be negative: " + capacity);
        }
        this.capacity = capacity;
        this.ring = new long[Math.min(capacity, 1 << 12)];
        this.members = new LongHashSet();
    }

    static long fingerprint(String attemptId) {
        return ByteBuffer.wrap(Sha256.of(attemptId.getBytes(StandardCharsets.UTF_8))).getLong();
    }

    boolean contains(String attemptId) {
        return size > 0 && members.contains(fingerprint(attemptId));
    }

    void add(String attemptId) {
        addFingerprint(fingerprint(attemptId));
    }

    /** Adds a fingerprint (once: an id already remembered keeps its place), dropping the oldest when full. */
    void addFingerprint(long fingerprint) {
        if (capacity == 0) {
            dropped++;
            return;
        }
        if (!members.add(fingerprint)) {
            return;
        }
        if (size == capacity) {
            dropped++;
            members.remove(ring[head]);
            ring[head] = fingerprint;
            head = (head + 1) % capacity;
            return;
        }
        grow();
        ring[(head + size) % ring.length] = fingerprint;
        size++;
    }

    int size() {
        return size;
    }

    /**
     * How many ids the memory has let go of (the oldest, when full). While none, it is complete: an
     * id that is neither in flight, nor retained, nor here was never decided by the log.
     */
    long dropped() {
        return dropped;
    }

    void restoreDropped(long dropped) {
        this.dropped = dropped;
    }

    int capacity() {
        return capacity;
    }

    /** The {@code i}-th oldest fingerprint, from 0 (snapshots). */
    long fingerprintAt(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i + " of " + size);
        }
        return ring[(head + i) % ring.length];
    }

    private void grow() {
        if (size < ring.length || ring.length == capacity) {
            return;
        }
        long[] bigger = new long[(int) Math.min(capacity, (long) ring.length * 2)];
        for (int i = 0; i < size; i++) {
            bigger[i] = ring[(head + i) % ring.length];
        }
        head = 0;
        ring = bigger;
    }
}
