package io.dtm.log;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.GroupCommitConfig;
import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftNodes;
import io.dtm.log.raft.RaftSettings;
import io.dtm.protocol.log.LogQuery;
import io.dtm.protocol.log.LogQueryReply;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.LogStats;
import io.dtm.protocol.log.LogStatsQuery;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The typed API of the replicated transaction log for processes that do not lead it: read a
 * transaction's state (linearizable, through the leader or through any chosen node), and append
 * probes (group-committed, applied to nothing) to measure the log.
 *
 * <p>Thread-safe; one instance per process is enough. Futures complete on Ratis's client threads:
 * callers that do real work in a continuation should move it to their own executor.
 */
public final class TxnLogClient implements AutoCloseable {
    private final LogGroups groups;
    private final GroupCommitConfig groupCommit;
    private final LongSupplier clockMs;
    private final List<RaftClient> clients = new ArrayList<>();
    private final List<RecordBatcher> batchers = new ArrayList<>();
    private final RaftProperties props;
    private final Parameters parameters;

    private TxnLogClient(ClusterConfig config, String name, String nodeId, LongSupplier clockMs, Parameters parameters) {
        RatisMetricsReporting.install();
        this.groups = LogGroups.of(config);
        this.groupCommit = config.log().groupCommit();
        this.clockMs = clockMs;
        this.props = RaftSettings.client(config);
        // A node presents its own certificate; a tool or test on the cluster's machine, a node's (only
        // nodes may use the Raft port).
        this.parameters = parameters;
        for (int i = 0; i < groups.size(); i++) {
            RaftClient client = newClient(groups.group(i));
            clients.add(client);
            batchers.add(new RecordBatcher(name + "-log-probe-" + i, client.async()::send, groupCommit, clockMs,
                    nodeId, RecordBatcher.Stamp.PROBE));
        }
    }

    /**
     * A client of the cluster's log for a process that is not a cluster node (a tool, a test):
     * its batches name no node, so its clock never moves log time. {@code name} labels its
     * threads and errors.
     */
    public static TxnLogClient connect(ClusterConfig config, String name) {
        return new TxnLogClient(config, name, "", System::currentTimeMillis,
                RaftSettings.parameters(config, RaftSettings.toolIdentity(config)));
    }

    /**
     * The log client of cluster node {@code nodeId}: its batches carry the node's id with its
     * clock reading, which counts toward log time like the node's own clock reports. It takes the
     * nodes the node's Raft server takes ({@link TxnLogServer#raftNodes()}).
     */
    public static TxnLogClient connectAsNode(ClusterConfig config, String nodeId, LongSupplier clockMs,
            RaftNodes raftNodes) {
        config.node(nodeId); // a member of the cluster, or this throws
        return new TxnLogClient(config, nodeId, nodeId, clockMs, RaftSettings.parameters(config, nodeId, raftNodes));
    }

    /**
     * Appends one record as a probe (group-committed, replicated and synced like any other, applied
     * to nothing; it comes back REFUSED, "a probe"): what a measurement of the log sends. Records
     * that change transactions enter the log only through the leader's own appender
     * ({@link TxnLogServer#appender}); the log refuses them from any client.
     */
    public CompletableFuture<RecordResult> appendProbe(TxnRecord record) {
        return batchers.get(groups.indexOf(LogRecords.tidOf(record))).submit(record);
    }

    private RaftClient newClient(RaftGroup group) {
        return RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(group)
                .setProperties(props)
                .setParameters(parameters)
                .setRetryPolicy(RaftSettings.clientRetryPolicy())
                .build();
    }

    /** The transaction's state, read linearizably through the group's leader. */
    public CompletableFuture<TxnState> read(String tid) {
        return query(groups.indexOf(tid), LogQuery.newBuilder().setAttemptId(tid).build(), null)
                .thenApply(LogQueryReply::getTxn);
    }

    /** The transaction's state, read linearizably through one node (any node can serve it). */
    public CompletableFuture<TxnState> readVia(String tid, String nodeId) {
        return query(groups.indexOf(tid), LogQuery.newBuilder().setAttemptId(tid).build(), RaftPeerId.valueOf(nodeId))
                .thenApply(LogQueryReply::getTxn);
    }

    /**
     * The state of a transaction's last attempt the log knows ({@link io.dtm.log.state.TxnLogState#queryLastAttempt}),
     * read linearizably through one node: one read, whichever attempts were evicted.
     */
    public CompletableFuture<TxnState> readLastAttemptVia(String tid, String nodeId) {
        return query(groups.indexOf(tid), LogQuery.newBuilder().setLastAttemptOf(tid).build(),
                RaftPeerId.valueOf(nodeId)).thenApply(LogQueryReply::getTxn);
    }

    /** As {@link #readLastAttemptVia}, read through the group's leader. */
    public CompletableFuture<TxnState> readLastAttempt(String tid) {
        return query(groups.indexOf(tid), LogQuery.newBuilder().setLastAttemptOf(tid).build(), null)
                .thenApply(LogQueryReply::getTxn);
    }

    /** Table sizes of group {@code groupIndex}, read through one node. */
    public CompletableFuture<LogStats> statsVia(int groupIndex, String nodeId) {
        LogQuery query = LogQuery.newBuilder().setStats(LogStatsQuery.getDefaultInstance()).build();
        return query(groupIndex, query, RaftPeerId.valueOf(nodeId)).thenApply(LogQueryReply::getStats);
    }

    /** Raft entries and records sent so far, across groups; their ratio is the group-commit factor. */
    public AppendStats appendStats() {
        long entries = 0;
        long records = 0;
        for (RecordBatcher b : batchers) {
            entries += b.batchesSent();
            records += b.recordsSent();
        }
        return new AppendStats(entries, records);
    }

    /** Cumulative counts of an appender; subtract two readings to measure an interval. */
    public record AppendStats(long entries, long records) {
        public double recordsPerEntry() {
            return entries == 0 ? 0 : (double) records / entries;
        }

        public AppendStats since(AppendStats earlier) {
            return new AppendStats(entries - earlier.entries, records - earlier.records);
        }
    }

    private CompletableFuture<LogQueryReply> query(int groupIndex, LogQuery query, RaftPeerId via) {
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(query.toByteArray()));
        RaftClient client = clients.get(groupIndex);
        // Unordered: reads ride outside the ordered write window. Mixing ordered reads aimed at
        // followers with writes on one client stalled writes for tens of seconds after a leader
        // change (measured here). The read is linearizable either way: the servers read through
        // the read index (Read.Option.LINEARIZABLE).
        CompletableFuture<RaftClientReply> reply = client.async().sendReadOnlyUnordered(message, via);
        return reply.thenApply(TxnLogClient::parseQueryReply);
    }

    private static LogQueryReply parseQueryReply(RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw new LogException("log read failed", reply.getException());
        }
        try {
            return LogQueryReply.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new LogException("log read answered garbage", e);
        }
    }

    @Override
    public void close() throws IOException {
        for (RecordBatcher b : batchers) {
            b.close();
        }
        IOException failure = null;
        for (RaftClient c : clients) {
            try {
                c.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
