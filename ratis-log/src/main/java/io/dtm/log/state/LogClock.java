package io.dtm.log.state;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Log time: the time that retention by age measures against, derived from the clock readings the
 * cluster's members put on their batches ({@code RecordBatch.timestamp_ms}, {@code node_id}), so
 * that a minority of skewed clocks cannot move it. The members are the configured node ids, the
 * same on every replica. Keep each member's latest reading (in log order, not the largest, so a
 * member whose clock was set back stops counting as ahead). After each batch the candidate is the
 * largest T that a majority (n/2+1 of n members) have a latest reading of at least T: the middle
 * one of 3, the lower median of an even n. A member that never reported has no reading: until a
 * majority has reported there is no candidate and log time stays put (0 on a new log). Log time is
 * the largest candidate so far, so it never moves backwards. Readings naming no member (a tool's
 * empty id) are ignored; their records are applied all the same. One member of 3 (two of 5) hours
 * ahead or behind thus neither evicts young outcomes nor stops eviction by age.
 *
 * <p>Pure and deterministic, like the table it serves; not thread-safe.
 */
final class LogClock {
    /** Sorted, so that readings are listed (and snapshotted) in one order on every replica. */
    private final String[] members;
    private final long[] readings;
    private final boolean[] reported;
    private final int majority;
    /** Reused to sort readings without allocating on every batch. */
    private final long[] sorted;
    private long nowMs;

    LogClock(Collection<String> memberIds) {
        TreeSet<String> ids = new TreeSet<>(memberIds);
        if (ids.isEmpty() || ids.size() != memberIds.size() || ids.contains("")) {
            throw new IllegalArgumentException("members must be distinct non-empty node ids, at least one: "
                    + memberIds);
        }
        this.members = ids.toArray(new String[0]);
        this.readings = new long[members.length];
        this.reported = new boolean[members.length];
        this.sorted = new long[members.length];
        this.majority = members.length / 2 + 1;
    }

    /** Takes a member's reading; returns whether log time moved. Non-members change nothing. */
    boolean observe(String nodeId, long timestampMs) {
        int i = indexOf(nodeId);
        if (i < 0) {
            return false;
        }
        readings[i] = timestampMs;
        reported[i] = true;
        return advance();
    }

    private boolean advance() {
        int n = 0;
        for (int i = 0; i < members.length; i++) {
            if (reported[i]) {
                sorted[n++] = readings[i];
            }
        }
        if (n < majority) {
            return false;
        }
        Arrays.sort(sorted, 0, n);
        // The majority-th largest of the n readings: a majority of members reached it.
        long candidate = sorted[n - majority];
        if (candidate <= nowMs) {
            return false;
        }
        nowMs = candidate;
        return true;
    }

    private int indexOf(String nodeId) {
        // A handful of members: a scan beats hashing the id.
        for (int i = 0; i < members.length; i++) {
            if (members[i].equals(nodeId)) {
                return i;
            }
        }
        return -1;
    }

    long nowMs() {
        return nowMs;
    }

    List<String> members() {
        return List.of(members);
    }

    /** The latest reading of each member that has reported, in node id order. */
    Map<String, Long> readings() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < members.length; i++) {
            if (reported[i]) {
                out.put(members[i], readings[i]);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    // --- snapshot support: the restored clock continues exactly like the one snapshotted ---

    void restoreNow(long nowMs) {
        this.nowMs = nowMs;
    }

    /** A reading from a snapshot; one of a node that is no longer a member is dropped. */
    void restoreReading(String nodeId, long timestampMs) {
        int i = indexOf(nodeId);
        if (i >= 0) {
            readings[i] = timestampMs;
            reported[i] = true;
        }
    }
}
