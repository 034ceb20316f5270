package io.dtm.log.raft;

import io.dtm.log.LeadershipListener;
import io.dtm.log.state.SnapshotFormat;
import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.BatchResult;
import io.dtm.protocol.log.LogQuery;
import io.dtm.protocol.log.LogQueryReply;
import io.dtm.protocol.log.LogStats;
import io.dtm.protocol.rpc.LogDump;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.TxnState;
import com.google.protobuf.InvalidProtocolBufferException;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Ratis state machine of the transaction log: decodes each entry's {@link RecordBatch} and
 * replays it into a {@link TxnLogState}. All transaction logic lives in {@code TxnLogState}; this
 * class only adds Ratis plumbing, snapshots and thread safety.
 *
 * <p>Snapshots: written to a temporary file, forced to disk, checksummed (MD5 file written
 * first), then renamed into place, so a crash leaves either the old snapshot or the new one, never
 * a torn file. Ratis purges log segments behind the snapshot index after {@link #takeSnapshot}
 * returns, and sends the snapshot file to a follower that lags behind the purge.
 */
public final class TxnStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(TxnStateMachine.class);
    private static final SnapshotRetentionPolicy KEEP_TWO_SNAPSHOTS = new SnapshotRetentionPolicy() {
        @Override
        public int getNumSnapshotsRetained() {
            return 2;
        }
    };

    private static final String WRITING_SUFFIX = ".writing";

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    /**
     * The snapshot this replica loaded or took last; null before its first. Kept here rather than
     * asked of {@link #storage}: Ratis 3.2.2's storage, asked before it has a snapshot, lists the
     * directory and records what it found (nothing) with a comparison that throws if a snapshot
     * was recorded meanwhile. The leader's log appenders ask on every round, so the first
     * snapshot of a node (taken on the updater thread) could kill an appender with that
     * NullPointerException, and Ratis does not restart a dead appender: a follower cut off until
     * the next leader change (seen in a TxnLogClusterTest run).
     */
    private volatile SingleFileSnapshotInfo latestSnapshot;
    private final TxnLogState.Retention retention;
    /**
     * The group's first members (its placement in the cluster configuration): whose clocks count
     * toward log time until the log says otherwise (a snapshot's members, a configuration entry).
     */
    private final List<String> members;
    private final Consumer<List<String>> onMembers;
    /** Guarded by {@code this}: applies, queries and snapshots see one consistent table. */
    private TxnLogState state;
    private volatile LeadershipListener leadership;
    private final AtomicLong refusedAppends = new AtomicLong();
    private final AtomicLong outOfOrderApplies = new AtomicLong();

    /** @param members the group's members as first placed, from the cluster configuration (the same on every replica) */
    public TxnStateMachine(TxnLogState.Retention retention, Collection<String> members) {
        this(retention, members, ids -> { });
    }

    /** As above; {@code onMembers} hears the members of every configuration entry applied. */
    public TxnStateMachine(TxnLogState.Retention retention, Collection<String> members,
            Consumer<List<String>> onMembers) {
        this.onMembers = onMembers;
        this.retention = retention;
        this.members = List.copyOf(members);
        this.state = new TxnLogState(retention, this.members);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        deleteUnfinishedSnapshots(raftStorage.getStorageDir().getStateMachineDir().toPath());
        getLifeCycle().startAndTransition(() -> loadSnapshot(storage.getLatestSnapshot()), IOException.class);
    }

    /**
     * Ratis pauses the state machine before it installs a snapshot from the leader, and checks that
     * it did; {@link #reinitialize()} then loads that snapshot and resumes.
     */
    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** Called after a snapshot was installed from the leader: start over from that snapshot. */
    @Override
    public void reinitialize() throws IOException {
        loadSnapshot(storage.loadLatestSnapshot());
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return latestSnapshot;
    }

    /**
     * Runs on the leader before the append: a batch that does not parse is never logged, nor one
     * that {@link AppendAdmission} refuses (records from anything but this leader's own path).
     */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        RecordBatch batch;
        try {
            batch = RecordBatch.parseFrom(request.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            trx.setException(new IOException("not a RecordBatch: " + e.getMessage(), e));
            return trx;
        }
        Optional<String> refusal = AppendAdmission.refusal(batch, request.getMessage() instanceof LocalProposal);
        if (refusal.isPresent()) {
            long n = refusedAppends.incrementAndGet();
            if (n == 1 || n % 1_000 == 0) {
                LOG.warn("{}: refused an entry from Raft client {}: {} ({} refused so far)", getId(),
                        request.getClientId(), refusal.get(), n);
            }
            trx.setException(new IOException("refused by the log: " + refusal.get()));
            return trx;
        }
        trx.setStateMachineContext(batch);
        return trx;
    }

    /**
     * The invariant of a replicated state machine: every replica applies the same entries in the
     * same order, each one the entry after the last (Ratis reports entries of its own, such as
     * configurations, through {@code notifyTermIndexUpdated}, which moves the same index). An
     * entry out of that order means this replica's table may differ from its peers' from here on:
     * the answers it gives are no longer the log's. That is said loudly and counted
     * ({@link #outOfOrderApplies()}); the entry is still applied, as every replica would.
     */
    private void checkNextInLog(TermIndex entry) {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < RaftLog.LEAST_VALID_LOG_INDEX) {
            return; // nothing applied yet: the first entry may follow a snapshot or the log's start
        }
        // (An older term than the last entry's Ratis refuses itself, in updateLastAppliedTermIndex.)
        if (entry.getIndex() != last.getIndex() + 1) {
            long n = outOfOrderApplies.incrementAndGet();
            LOG.error("{}: INVARIANT VIOLATED: applying entry {} right after {}; this replica's transactions may"
                    + " differ from its peers' from here on ({} out-of-order applies so far)", getId(), entry, last, n);
        }
    }

    /** Entries applied out of log order since this replica started: must stay 0 ({@link #checkNextInLog}). */
    public long outOfOrderApplies() {
        return outOfOrderApplies.get();
    }

    /** Entries this node refused as leader since it started ({@link AppendAdmission}). */
    public long refusedAppends() {
        return refusedAppends.get();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        TermIndex termIndex = TermIndex.valueOf(entry);
        RecordBatch batch;
        try {
            // The leader parsed the batch in startTransaction; followers and replays parse it here.
            batch = trx.getStateMachineContext() instanceof RecordBatch parsed
                    ? parsed
                    : RecordBatch.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            // Cannot happen for entries the leader validated; skip it identically on every replica
            // rather than stop the server, and say so loudly.
            LOG.error("{}: entry {} is not a RecordBatch; skipped", getId(), termIndex, e);
            synchronized (this) {
                updateLastAppliedTermIndex(termIndex);
            }
            return CompletableFuture.failedFuture(e);
        }
        BatchResult result;
        synchronized (this) {
            checkNextInLog(termIndex);
            result = state.apply(batch, termIndex.getTerm());
            updateLastAppliedTermIndex(termIndex);
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
    }

    /**
     * A Raft configuration entry was applied (a member added, removed or replaced; and every new
     * leader's first entry): from this index on, the clocks of its members count toward log time.
     * Ratis calls this on the thread that applies entries, in log order, so every replica changes
     * its members at the same index.
     */
    @Override
    public void notifyConfigurationChanged(long term, long index, RaftConfigurationProto conf) {
        List<String> ids = conf.getPeersList().stream().map(p -> p.getId().toStringUtf8()).toList();
        if (ids.isEmpty()) {
            return;
        }
        onMembers.accept(ids);
        boolean changed;
        synchronized (this) {
            changed = state.changeMembers(ids);
        }
        if (changed) {
            LOG.info("{}: members from index {} (term {}) on: {}", getId(), index, term, ids);
        }
    }

    /** Read-only queries; linearizable when the server's read option is LINEARIZABLE. */
    @Override
    public CompletableFuture<Message> query(Message request) {
        LogQuery query;
        try {
            query = LogQuery.parseFrom(request.getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            return CompletableFuture.failedFuture(new IOException("not a LogQuery: " + e.getMessage(), e));
        }
        LogQueryReply reply;
        synchronized (this) {
            reply = switch (query.getQueryCase()) {
                case ATTEMPT_ID -> LogQueryReply.newBuilder().setTxn(state.query(query.getAttemptId())).build();
                case LAST_ATTEMPT_OF -> LogQueryReply.newBuilder()
                        .setTxn(state.queryLastAttempt(query.getLastAttemptOf())).build();
                case STATS -> LogQueryReply.newBuilder()
                        .setStats(state.stats().setAppliedIndex(getLastAppliedTermIndex().getIndex()))
                        .build();
                case QUERY_NOT_SET -> null;
            };
        }
        if (reply == null) {
            return CompletableFuture.failedFuture(new IOException("empty LogQuery"));
        }
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(reply.toByteArray())));
    }

    /** Who hears about leadership; set by the coordinator node once it is ready to take over. */
    public void setLeadershipListener(LeadershipListener listener) {
        this.leadership = listener;
    }

    @Override
    public void notifyLeaderReady() {
        LeadershipListener listener = leadership;
        if (listener != null) {
            listener.leaderReady(currentTerm());
        }
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeaderId) {
        LeadershipListener listener = leadership;
        if (listener != null) {
            listener.leaderChanged(newLeaderId == null ? "" : newLeaderId.toString());
        }
    }

    /**
     * Ratis calls this when the leader steps down (lost its majority's heartbeats, saw a higher
     * term); a new leader may not be known for a long time, so it is said now.
     */
    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        LeadershipListener listener = leadership;
        if (listener != null) {
            listener.leadershipLost();
        }
    }

    /** The current Raft term of this node's division. */
    public long currentTerm() {
        try {
            return getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm();
        } catch (IOException e) {
            throw new IllegalStateException(getId() + ": the group is not running", e);
        }
    }

    /** Every attempt begun and not ended, as this replica has applied them (what a new leader must finish). */
    public synchronized List<TxnState> inFlightTransactions() {
        return state.inFlightTransactions();
    }

    /** A page of this replica's transactions, with the index applied when it was read. */
    public synchronized LogDump localPage(String after, int limit) {
        TxnLogState.Page page = state.page(after, limit);
        return LogDump.newBuilder().addAllStates(page.states()).setNext(page.next())
                .setAppliedIndex(getLastAppliedTermIndex().getIndex()).build();
    }

    /** This replica's table sizes and applied index, without a Raft round (status reports). */
    public synchronized LogStats localStats() {
        return state.stats().setAppliedIndex(getLastAppliedTermIndex().getIndex()).build();
    }

    /** This replica's log time (retention by age measures against it). */
    public synchronized long logTimeMs() {
        return state.clockMs();
    }

    /** The members whose clocks count toward log time, as this replica has applied them, in node id order. */
    public synchronized List<String> members() {
        return state.members();
    }

    /** The latest clock reading of each member, as this replica has applied them. */
    public synchronized Map<String, Long> memberClocks() {
        return state.memberClocks();
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex last;
        File target;
        File tmp;
        synchronized (this) {
            last = getLastAppliedTermIndex();
            if (last == null || last.getIndex() <= 0) {
                return RaftLog.INVALID_LOG_INDEX;
            }
            target = storage.getSnapshotFile(last.getTerm(), last.getIndex());
            tmp = new File(target.getPath() + WRITING_SUFFIX);
            // Under the lock, but the updater thread calls us between applies anyway, so nothing waits
            // except concurrent queries.
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp.toPath()), 1 << 16)) {
                SnapshotFormat.write(state, out);
            }
        }
        forceToDisk(tmp.toPath());
        MD5Hash md5 = MD5FileUtil.computeMd5ForFile(tmp);
        // The checksum goes first: a snapshot file without its MD5 would not load at all.
        MD5FileUtil.saveMD5File(target, md5);
        Files.move(tmp.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE);
        forceToDisk(target.getParentFile().toPath());
        SingleFileSnapshotInfo taken = new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), last);
        storage.updateLatestSnapshot(taken);
        latestSnapshot = taken;
        storage.cleanupOldSnapshots(KEEP_TWO_SNAPSHOTS);
        LOG.info("{}: snapshot at {} written to {}", getId(), last, target.getName());
        return last.getIndex();
    }

    private synchronized void loadSnapshot(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            LOG.info("{}: no snapshot, starting from an empty table", getId());
            state = new TxnLogState(retention, members);
            latestSnapshot = null;
            return;
        }
        Path path = snapshot.getFile().getPath();
        MD5Hash md5 = snapshot.getFile().getFileDigest();
        if (md5 == null) {
            md5 = MD5FileUtil.readStoredMd5ForFile(path.toFile());
        }
        MD5FileUtil.verifySavedMD5(path.toFile(), md5);
        TxnLogState loaded;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            loaded = SnapshotFormat.read(in, retention, members);
        }
        state = loaded;
        setLastAppliedTermIndex(snapshot.getTermIndex());
        latestSnapshot = snapshot;
        LOG.info("{}: loaded snapshot {} ({} in flight, {} retained outcomes)", getId(), snapshot.getTermIndex(),
                loaded.inFlightCount(), loaded.retainedCount());
    }

    /** A crash while writing a snapshot leaves a temporary file that nothing will ever read. */
    private void deleteUnfinishedSnapshots(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (var files = Files.newDirectoryStream(dir, "*" + WRITING_SUFFIX)) {
            for (Path file : files) {
                LOG.info("{}: deleting unfinished snapshot {}", getId(), file.getFileName());
                Files.deleteIfExists(file);
            }
        }
    }

    private static void forceToDisk(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
