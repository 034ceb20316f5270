package io.dtm.log.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.raftlog.RaftLogIOException;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.util.TimeDuration;

import java.util.concurrent.TimeUnit;

/**
 * Ratis's gRPC transport for the log's servers, with two changes to the leader's log appender
 * (Ratis 3.2.2): a fix, so that a follower that restarts behind the leader's purged log gets the
 * snapshot instead of being cut off until the next leader change; and an adaptive replication
 * wait ({@link ReplicationPacer}, {@code log.groupCommit.replicationIntervalMs}).
 *
 * <p>The race: each round of {@code GrpcLogAppender.run()} first checks whether the follower needs
 * a snapshot, then builds an append from the follower's next index. While the follower was down,
 * the leader kept advancing that index past its purge point, so the check says no; if the
 * restarted follower's INCONSISTENCY reply ("my next index is 9") lands between the check and the
 * build, the build reads entry 9, which was purged, and throws. The appender thread dies, and
 * Ratis's restart of it is skipped because it tests whether the dead appender is still running.
 * That leader then never sends the follower anything again (found by a flaky
 * {@code TxnLogClusterTest}: one run in about fifteen on a loaded machine).
 *
 * <p>The fix: the build happens under the appender's lock, which also guards the next index, so
 * there it is checked again; a follower that cannot be sent entries gets a heartbeat, and the next
 * round installs the snapshot. Such a follower is one behind the log's start, or one right at it
 * whose previous entry was purged (Ratis would neither send it entries nor a snapshot).
 *
 * <p>The pacing: Ratis waits out {@code wait-time.min} after every send, busy or not, and builds an
 * append before that wait, so the append misses what arrives meanwhile. Here the pacer decides when
 * the waiting entries go, and the append is built then (Ratis's own wait is zero). Ratis also sends
 * whenever the follower's commit index lags the leader's, which under load is always: such a send
 * waits for the pacer too, and the new commit index goes with the entries.
 *
 * <p>Selected by {@link RaftSettings#server} as the RPC type, by class name (Ratis instantiates it
 * by reflection, hence the public no-argument constructor).
 */
public final class DtmGrpc implements RpcType {
    @Override
    public String name() {
        return DtmGrpc.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new Factory(parameters);
    }

    private static final class Factory extends GrpcFactory {
        Factory(Parameters parameters) {
            super(parameters);
        }

        @Override
        public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            return new DtmLogAppender(server, state, follower);
        }
    }

    private static final class DtmLogAppender extends GrpcLogAppender {
        /** Ratis's default wait between two sends; the configured interval may only lower it. */
        private static final long IDLE_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

        private final ReplicationPacer pacer;

        DtmLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            super(server, state, follower);
            long interval = getWaitTimeMin().toLong(TimeUnit.NANOSECONDS);
            pacer = new ReplicationPacer(Math.min(IDLE_INTERVAL_NANOS, interval), interval);
        }

        /**
         * Ratis sends a snapshot only to a follower strictly behind the log's start. One exactly at
         * the start also cannot be sent entries when the entry before it was purged and is not the
         * snapshot's last: the append needs that entry's term, and building it threw (seen in a
         * recovery benchmark, the follower cut off as above).
         */
        @Override
        public SnapshotInfo shouldInstallSnapshot() {
            SnapshotInfo snapshot = super.shouldInstallSnapshot();
            if (snapshot != null) {
                return snapshot;
            }
            return cannotBeSentEntries() ? getServer().getStateMachine().getLatestSnapshot() : null;
        }

        @Override
        public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat)
                throws RaftLogIOException {
            // Under the appender's lock, which also guards the follower's next index.
            boolean noEntries = heartbeat || cannotBeSentEntries();
            if (!noEntries && !heartbeatDue() && pacedNanos() > 0) {
                // Ratis also sends when the follower's commit index lags; that news waits for the entries.
                return null;
            }
            AppendEntriesRequestProto request = super.newAppendEntriesRequest(callId, noEntries);
            if (request != null && request.getEntriesCount() > 0) {
                pacer.sent();
            }
            return request;
        }

        /** Nanoseconds the entries waiting for this follower must still wait: see {@link ReplicationPacer}. */
        private long pacedNanos() {
            long now = System.nanoTime();
            long lastSend = now - getFollower().getLastRpcSendTime().elapsedTime().toLong(TimeUnit.NANOSECONDS);
            return pacer.remainingNanos(now, hasAppendEntries(), hasPendingDataRequests(), lastSend);
        }

        private boolean heartbeatDue() {
            return getHeartbeatWaitTimeMs() <= 0;
        }

        @Override
        public boolean shouldSendAppendEntries() {
            return super.shouldSendAppendEntries() && (pacedNanos() <= 0 || heartbeatDue());
        }

        @Override
        public long getWaitTimeMs() {
            long paced = pacedNanos();
            // Waiting for an answer: the reply wakes the appender (Ratis notifies it on every reply);
            // the heartbeat bound only keeps it from sleeping past a heartbeat.
            return paced > 0 ? Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(paced), getHeartbeatWaitTimeMs()))
                    : super.getWaitTimeMs();
        }

        /** The pacer's wait comes before an append is built (Ratis's comes after, and then the append misses what arrives meanwhile). */
        @Override
        protected TimeDuration getRemainingWaitTime() {
            return TimeDuration.ZERO;
        }

        private boolean cannotBeSentEntries() {
            long next = getFollower().getNextIndex();
            if (next >= getRaftLog().getNextIndex()) {
                return false; // nothing to send
            }
            return next < getRaftLog().getStartIndex() || !previousTermKnown(next);
        }

        /** Whether an append starting at {@code next} can name the term of the entry before it. */
        private boolean previousTermKnown(long next) {
            if (next == RaftLog.LEAST_VALID_LOG_INDEX || next == getFollower().getSnapshotIndex() + 1
                    || getRaftLog().getTermIndex(next - 1) != null) {
                return true;
            }
            SnapshotInfo snapshot = getServer().getStateMachine().getLatestSnapshot();
            return snapshot != null && snapshot.getIndex() == next - 1;
        }
    }
}
