package io.dtm.log.state;

import io.dtm.protocol.log.MemberClock;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.SnapshotEntry;
import io.dtm.protocol.log.SnapshotForgotten;
import io.dtm.protocol.log.SnapshotHeader;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collection;
import java.util.Map;

/**
 * The byte format of a {@link TxnLogState} snapshot: one length-delimited {@link SnapshotHeader},
 * then one length-delimited {@link SnapshotEntry} per transaction (in-flight ones first, each
 * table in its own order so eviction order survives a restart), then the forgotten ids'
 * fingerprints, oldest first, in {@link SnapshotForgotten} chunks (since format 2).
 *
 * <p>Streams entry by entry, so a snapshot of millions of outcomes never sits in memory as one
 * message. Integrity (checksum) and atomicity (write to a temporary file, then rename) are the
 * caller's: see {@link io.dtm.log.raft.TxnStateMachine}.
 */
public final class SnapshotFormat {
    /**
     * Written by this build: 5 adds each entry's superseded mark; 4 added the members (they follow the group's Raft configuration);
     * 3 added each member's monotonic reading and virtual clock (LogClock); 2 added the members' clock readings to the header, run ids and the forgotten mark to the
     * entries, and the forgotten ids after them.
     */
    static final int FORMAT_VERSION = 5;
    /** Still read: no superseded marks (every entry is read as superseded: a later attempt cannot be ruled out). */
    static final int FORMAT_VERSION_WITHOUT_SUPERSEDED = 4;
    /** Still read: no members (they are the configured ones). */
    static final int FORMAT_VERSION_WITHOUT_MEMBERS = 3;
    /** Still read: wall readings alone; each member's virtual clock resumes at log time. */
    static final int FORMAT_VERSION_WALL_CLOCKS = 2;
    /** Still read: a snapshot without readings (log time alone; readings come with the next batches). */
    static final int FORMAT_VERSION_WITHOUT_MEMBER_CLOCKS = 1;
    private static final int FORGOTTEN_CHUNK = 8_192;

    private SnapshotFormat() {
    }

    public static void write(TxnLogState state, OutputStream out) throws IOException {
        SnapshotHeader.Builder header = SnapshotHeader.newBuilder()
                .setFormatVersion(FORMAT_VERSION)
                .setClockMs(state.clockMs())
                .setInFlightCount(state.inFlightCount())
                .setRetainedCount(state.retainedCount())
                .setForgottenCount(state.table().forgottenIds().size())
                .setForgottenDropped(state.table().forgottenIds().dropped())
                .addAllMembers(state.members());
        for (Map.Entry<String, LogClock.Member> member : state.memberClockState().entrySet()) {
            LogClock.Member m = member.getValue();
            MemberClock.Builder clock = MemberClock.newBuilder().setNodeId(member.getKey()).setTimestampMs(m.wallMs())
                    .setProcessId(m.processId()).setVirtualMs(m.virtualMs());
            m.uptime().ifPresent(clock::setUptimeMs);
            header.addMemberClocks(clock);
        }
        header.build().writeDelimitedTo(out);
        for (Map.Entry<String, InFlightTxn> entry : state.table().inFlightEntries()) {
            InFlightTxn txn = entry.getValue();
            SnapshotEntry.Builder e = SnapshotEntry.newBuilder()
                    .setAttemptId(entry.getKey())
                    .setInFlight(true)
                    .setDeadlineMs(txn.deadlineMs)
                    .setRequestDigest(txn.requestDigest)
                    .setRunId(txn.runId)
                    .setForgotten(txn.forgotten)
                    .setSuperseded(txn.superseded)
                    .setOutcome(txn.outcome);
            for (String p : txn.participants) {
                e.addParticipants(p);
            }
            if (txn.outcome != Outcome.UNDECIDED) {
                e.setReason(txn.reason).setProposer(txn.proposer);
            }
            e.build().writeDelimitedTo(out);
        }
        for (Map.Entry<String, RetainedOutcome> entry : state.table().retainedEntries()) {
            RetainedOutcome ended = entry.getValue();
            SnapshotEntry.newBuilder()
                    .setAttemptId(entry.getKey())
                    .setOutcome(ended.outcome())
                    .setReason(ended.reason())
                    .setProposer(ended.proposer())
                    .setEndedAtMs(ended.endedAtMs())
                    .setRequestDigest(ended.requestDigest())
                    .setSuperseded(ended.superseded())
                    .build()
                    .writeDelimitedTo(out);
        }
        ForgottenIds forgotten = state.table().forgottenIds();
        SnapshotForgotten.Builder chunk = SnapshotForgotten.newBuilder();
        for (int i = 0; i < forgotten.size(); i++) {
            chunk.addFingerprints(forgotten.fingerprintAt(i));
            if (chunk.getFingerprintsCount() == FORGOTTEN_CHUNK || i == forgotten.size() - 1) {
                chunk.build().writeDelimitedTo(out);
                chunk.clear();
            }
        }
    }

    /**
     * Reads a snapshot into a new state with the given retention. Its members are the snapshot's
     * (format 4 on), or else {@code members}, the configured ones. Readings of nodes that are not
     * members are dropped, as they would have been ignored.
     */
    public static TxnLogState read(InputStream in, TxnLogState.Retention retention, Collection<String> members)
            throws IOException {
        SnapshotHeader header = SnapshotHeader.parseDelimitedFrom(in);
        if (header == null) {
            throw new IOException("snapshot is empty");
        }
        int format = header.getFormatVersion();
        if (format < FORMAT_VERSION_WITHOUT_MEMBER_CLOCKS || format > FORMAT_VERSION) {
            throw new IOException("snapshot format " + format + " is not supported (this build reads formats "
                    + FORMAT_VERSION_WITHOUT_MEMBER_CLOCKS + " to " + FORMAT_VERSION + ")");
        }
        TxnLogState state = new TxnLogState(retention,
                format > FORMAT_VERSION_WITHOUT_MEMBERS ? header.getMembersList() : members);
        state.restoreClock(header.getClockMs());
        for (MemberClock reading : header.getMemberClocksList()) {
            // Format 2 knew no monotonic readings: the member's next reading moves nothing, and its
            // virtual clock resumes at log time.
            boolean monotonic = format > FORMAT_VERSION_WALL_CLOCKS;
            long uptime = monotonic && reading.hasUptimeMs() ? reading.getUptimeMs() : LogClock.NO_UPTIME;
            long virtual = monotonic ? reading.getVirtualMs() : Math.min(reading.getTimestampMs(), header.getClockMs());
            state.restoreMemberClock(reading.getNodeId(),
                    new LogClock.Member(reading.getTimestampMs(), uptime, reading.getProcessId(), virtual));
        }
        boolean marked = format > FORMAT_VERSION_WITHOUT_SUPERSEDED;
        long expected = header.getInFlightCount() + header.getRetainedCount();
        for (long i = 0; i < expected; i++) {
            SnapshotEntry e = SnapshotEntry.parseDelimitedFrom(in);
            if (e == null) {
                throw new IOException("snapshot is truncated: " + i + " of " + expected + " entries");
            }
            if (e.getInFlight()) {
                state.table().restoreInFlight(e.getAttemptId(), e.getParticipantsList().toArray(new String[0]),
                        e.getDeadlineMs(), e.getRequestDigest(), e.getRunId(), e.getOutcome(), e.getReason(),
                        e.getProposer(), e.getForgotten(), !marked || e.getSuperseded());
            } else {
                state.table().restoreRetained(e.getAttemptId(), e.getOutcome(), e.getReason(), e.getProposer(), e.getEndedAtMs(),
                        e.getRequestDigest(), !marked || e.getSuperseded());
            }
        }
        // A format-1 snapshot knows nothing of what was forgotten before it: say the memory is not complete.
        state.table().forgottenIds()
                .restoreDropped(format >= FORMAT_VERSION_WALL_CLOCKS ? header.getForgottenDropped() : 1);
        long forgotten = 0;
        while (forgotten < header.getForgottenCount()) {
            SnapshotForgotten chunk = SnapshotForgotten.parseDelimitedFrom(in);
            if (chunk == null) {
                throw new IOException("snapshot is truncated: " + forgotten + " of " + header.getForgottenCount()
                        + " forgotten ids");
            }
            for (long fingerprint : chunk.getFingerprintsList()) {
                state.table().forgottenIds().addFingerprint(fingerprint);
            }
            forgotten += chunk.getFingerprintsCount();
        }
        if (in.read() != -1) {
            throw new IOException("snapshot has trailing bytes after " + expected + " entries");
        }
        if (state.inFlightCount() != header.getInFlightCount() || state.retainedCount() != header.getRetainedCount()) {
            throw new IOException("snapshot counts disagree with its header: " + state.inFlightCount() + "/"
                    + state.retainedCount() + " read, " + header.getInFlightCount() + "/" + header.getRetainedCount()
                    + " announced");
        }
        return state;
    }
}
