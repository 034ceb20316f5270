package io.dtm.log.state;

import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Log time: the time that retention by age measures against, derived from the clock readings the
 * cluster's members put on their batches ({@code RecordBatch.timestamp_ms}, {@code uptime_ms},
 * {@code process_id}, {@code node_id}). The members are the node ids of the group's Raft
 * configuration, the same on every replica at every index: they change only where the log says the
 * configuration changed ({@link #changeMembers}). Only differences of log time are ever used (an outcome's age), so where it starts
 * matters little; how fast it moves is the whole point.
 *
 * <p><b>The promise: log time moves no faster than true time</b>, give or take
 * {@link #MAX_AHEAD_MS} and a clock report's trip to the log, whatever any wall clock says: an
 * outcome is kept for its retention age of true time, less those few seconds.
 *
 * <p><b>The rule.</b> Log time starts when a majority of members have reported: at the
 * majority-th largest of their wall-clock readings (the middle one of 3), a sane date that a
 * minority of clocks hours off cannot place ahead. From then on wall clocks play no part. Each
 * member has a <em>virtual clock</em>, which starts at log time and moves on by what the member's
 * own monotonic clock says passed since its largest earlier reading in the same process
 * ({@code uptime_ms}, {@code process_id}); the first reading of a new process, one no larger than
 * an earlier one (overtaken on its way), and one without uptime move it by nothing. A virtual
 * clock left behind (its member was down) catches up to log time, and none may run more than
 * {@link #MAX_AHEAD_MS} ahead of it. Log time is the majority-th largest virtual clock, and never
 * moves backwards.
 *
 * <p><b>Why that keeps the promise.</b> Within one process a virtual clock moves by time elapsed
 * on one monotonic clock, so by at most what truly passed; catching up moves it to log time; and
 * the cap means no member holds more than {@link #MAX_AHEAD_MS} of counted time that log time has
 * not caught up with (without it, a node paused for an hour would bring back an hour, and a second
 * one would move log time by an hour at once). So between two instants log time moves by at most
 * the true time between them, plus the cap, plus what a reading still on its way counted before
 * the first instant. What it costs: time when no majority was running (a whole-cluster outage) is
 * not counted, so outcomes are then kept longer than their age, never shorter.
 *
 * <p><b>Why not the median of the latest wall readings</b> (this class's first rule): a latest
 * reading may be stale. A node hours ahead is restarted on the right clock and, before it reports
 * again, another node restarts hours ahead: two of three latest readings are then hours ahead and
 * the log forgets every outcome at once (found by the Jepsen-style clock-skew scenario in CI, seed
 * 1796554789178). No rule over the latest wall readings can tell a stale reading from a wrong clock.
 *
 * <p>Pure and deterministic, like the table it serves; not thread-safe.
 */
final class LogClock {
    /**
     * How far a member's virtual clock may run ahead of log time: more than a member's readings
     * are apart (clock reports every 2 s) with room for their trip to the log, so that members
     * that report keep all they count; time counted beyond it (a paused process that resumes) is
     * dropped.
     */
    static final long MAX_AHEAD_MS = 5_000;
    /** A reading without a monotonic part ({@code uptime_ms} unset, or no {@code process_id}). */
    static final long NO_UPTIME = -1;

    /** Sorted, so that readings are listed (and snapshotted) in one order on every replica. */
    private String[] members;
    private boolean[] reported;
    private long[] walls;
    private long[] uptimes;
    private long[] processes;
    private long[] virtuals;
    private int majority;
    /** Reused to sort without allocating on every batch. */
    private long[] sorted;
    private long nowMs;

    /** What the log knows of one member's clock; {@code uptimeMs} is {@link #NO_UPTIME} when unknown. */
    record Member(long wallMs, long uptimeMs, long processId, long virtualMs) {
        OptionalLong uptime() {
            return uptimeMs == NO_UPTIME ? OptionalLong.empty() : OptionalLong.of(uptimeMs);
        }
    }

    LogClock(Collection<String> memberIds) {
        setMembers(distinctIds(memberIds));
    }

    private static String[] distinctIds(Collection<String> memberIds) {
        TreeSet<String> ids = new TreeSet<>(memberIds);
        if (ids.isEmpty() || ids.size() != memberIds.size() || ids.contains("")) {
            throw new IllegalArgumentException("members must be distinct non-empty node ids, at least one: "
                    + memberIds);
        }
        return ids.toArray(new String[0]);
    }

    private void setMembers(String[] ids) {
        int n = ids.length;
        this.members = ids;
        this.reported = new boolean[n];
        this.walls = new long[n];
        this.uptimes = new long[n];
        this.processes = new long[n];
        this.virtuals = new long[n];
        this.sorted = new long[n];
        this.majority = n / 2 + 1;
        Arrays.fill(uptimes, NO_UPTIME);
    }

    /**
     * The group's configuration changed: from now on these are the members. A member that stays
     * keeps all the log knows of its clock; a new one counts from log time from its first reading
     * on, like a member back from a long absence; a member that leaves no longer counts. Log time
     * itself does not move (it moves with the next reading). Returns whether the members changed.
     */
    boolean changeMembers(Collection<String> memberIds) {
        String[] ids = distinctIds(memberIds);
        if (Arrays.equals(ids, members)) {
            return false;
        }
        Map<String, Member> kept = state();
        setMembers(ids);
        kept.forEach(this::restore);
        return true;
    }

    /**
     * Takes a member's reading ({@code uptimeMs} {@link #NO_UPTIME} when the batch had none; a
     * {@code processId} of 0 is none); returns whether log time moved. Non-members change nothing.
     */
    boolean observe(String nodeId, long wallMs, long uptimeMs, long processId) {
        int i = indexOf(nodeId);
        if (i < 0) {
            return false;
        }
        boolean first = !reported[i];
        long uptime = uptimeMs < 0 || processId == 0 ? NO_UPTIME : uptimeMs;
        long elapsed = 0;
        if (!first && uptime != NO_UPTIME && uptimes[i] != NO_UPTIME && processes[i] == processId) {
            // The same process: time passed since its largest reading; one overtaken on its way adds nothing.
            elapsed = Math.max(0, uptime - uptimes[i]);
            uptime = Math.max(uptime, uptimes[i]);
        }
        reported[i] = true;
        walls[i] = wallMs;
        uptimes[i] = uptime;
        processes[i] = uptime == NO_UPTIME ? 0 : processId;
        if (!started()) {
            virtuals[i] = wallMs;
            return start();
        }
        virtuals[i] = Math.max(first ? nowMs : virtuals[i] + elapsed, nowMs);
        boolean moved = advanceTo(majorityOf(virtuals));
        long cap = nowMs + MAX_AHEAD_MS;
        for (int j = 0; j < virtuals.length; j++) {
            virtuals[j] = Math.min(virtuals[j], cap);
        }
        return moved;
    }

    private boolean started() {
        return nowMs > 0;
    }

    private boolean start() {
        if (!advanceTo(majorityOf(virtuals))) {
            return false;
        }
        // A member ahead of the start counts from it: its wall clock was one of a minority.
        for (int i = 0; i < members.length; i++) {
            virtuals[i] = Math.min(virtuals[i], nowMs);
        }
        return true;
    }

    /** The largest value a majority of the members reached (of those who reported); 0 without a majority. */
    private long majorityOf(long[] values) {
        int n = 0;
        for (int i = 0; i < members.length; i++) {
            if (reported[i]) {
                sorted[n++] = values[i];
            }
        }
        if (n < majority) {
            return 0;
        }
        Arrays.sort(sorted, 0, n);
        return sorted[n - majority];
    }

    private boolean advanceTo(long candidate) {
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

    /** The latest wall-clock reading of each member that has reported one, in node id order. */
    Map<String, Long> readings() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int i = 0; i < members.length; i++) {
            if (reported[i]) {
                out.put(members[i], walls[i]);
            }
        }
        return Collections.unmodifiableMap(out);
    }

    /** All the log knows of each member that has reported, in node id order (what a snapshot keeps). */
    Map<String, Member> state() {
        Map<String, Member> out = new LinkedHashMap<>();
        for (int i = 0; i < members.length; i++) {
            if (reported[i]) {
                out.put(members[i], new Member(walls[i], uptimes[i], processes[i], virtuals[i]));
            }
        }
        return Collections.unmodifiableMap(out);
    }

    // --- snapshot support: the restored clock continues exactly like the one snapshotted ---

    void restoreNow(long nowMs) {
        this.nowMs = nowMs;
    }

    /** A member from a snapshot; one that is no longer a member is dropped. */
    void restore(String nodeId, Member m) {
        int i = indexOf(nodeId);
        if (i >= 0) {
            boolean monotonic = m.uptimeMs() >= 0 && m.processId() != 0;
            reported[i] = true;
            walls[i] = m.wallMs();
            uptimes[i] = monotonic ? m.uptimeMs() : NO_UPTIME;
            processes[i] = monotonic ? m.processId() : 0;
            virtuals[i] = m.virtualMs();
        }
    }
}
