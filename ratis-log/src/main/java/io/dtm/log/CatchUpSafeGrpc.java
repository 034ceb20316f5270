package io.dtm.log;

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

/**
 * Ratis's gRPC transport for the log's servers, with one fix to the leader's log appender
 * (Ratis 3.2.2): a follower that restarts behind the leader's purged log must get the snapshot,
 * not be cut off until the next leader change.
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
 * <p>Selected by {@link RaftSettings#server} as the RPC type, by class name (Ratis instantiates it
 * by reflection, hence the public no-argument constructor).
 */
public final class CatchUpSafeGrpc implements RpcType {
    @Override
    public String name() {
        return CatchUpSafeGrpc.class.getName();
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
            return new CatchUpSafeLogAppender(server, state, follower);
        }
    }

    private static final class CatchUpSafeLogAppender extends GrpcLogAppender {
        CatchUpSafeLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            super(server, state, follower);
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
            return super.newAppendEntriesRequest(callId, heartbeat || cannotBeSentEntries());
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
