package io.dtm.log.raft;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.LogConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.TlsConfig;
import io.dtm.config.TimeoutsConfig;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.retry.ExponentialBackoffRetry;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Every Ratis setting the project relies on, in one place, derived from the cluster configuration.
 * What is left at Ratis's defaults is left there on purpose (see ../shared/RATIS.md).
 */
public final class RaftSettings {
    /** Client-side retries of one Raft request: enough to ride out an election or two, then fail. */
    private static final int CLIENT_MAX_ATTEMPTS = 20;

    /** Closed log segments a node keeps in its heap. */
    static final int SEGMENT_CACHE_NUM_MAX = 2;

    private RaftSettings() {
    }

    /** Properties of the Raft server of one node, storing everything under {@code storageDir}. */
    public static RaftProperties server(ClusterConfig config, NodeConfig node, Path storageDir) {
        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(props, List.of(storageDir.toFile()));
        // A group this node leaves is moved here, kept (Ratis's default is a shared directory under /tmp).
        RaftServerConfigKeys.setRemovedGroupsDir(props, storageDir.resolve(REMOVED_GROUPS).toFile());
        // gRPC is the transport: it pipelines appends (Netty's Raft transport stays near 1,000 entries/s).
        // Ratis's own, with a fix to the leader's appender for followers behind the purge.
        RaftConfigKeys.Rpc.setType(props, new DtmGrpc());
        GrpcConfigKeys.Server.setHost(props, node.host());
        GrpcConfigKeys.Server.setPort(props, node.raftPort());

        TimeoutsConfig timeouts = config.timeouts();
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, ms(timeouts.electionMinMs()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, ms(timeouts.electionMaxMs()));

        // Reads of a transaction's state go through the read index: linearizable on any node.
        // Leader leases stay off (Ratis's default): they trade safety for a clock assumption.
        RaftServerConfigKeys.Read.setOption(props, RaftServerConfigKeys.Read.Option.LINEARIZABLE);

        LogConfig log = config.log();
        long every = log.snapshotEveryEntries();
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, every);
        RaftServerConfigKeys.Snapshot.setCreationGap(props, every);
        // Purge closed segments up to the snapshot index; a follower behind the purge gets the snapshot.
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgeGap(props, (int) Math.min(Integer.MAX_VALUE, every));
        SizeInBytes segment = SizeInBytes.valueOf(log.segmentSizeBytes());
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, segment);
        // Preallocating more than a segment would waste disk on every small test segment.
        RaftServerConfigKeys.Log.setPreallocatedSize(props,
                SizeInBytes.valueOf(Math.min(log.segmentSizeBytes(), 4L << 20)));
        // Closed segments stay cached in the heap for the appenders (Ratis's default: 6 segments, up
        // to 200 MB). Followers that keep up read the open segment; one that lags reads from disk, or
        // gets the snapshot. Two segments keep a node's heap from swinging with the purge cycle.
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(props, SEGMENT_CACHE_NUM_MAX);
        // The busy interval of the appender's pacer (DtmGrpc, ReplicationPacer): fewer, fuller calls under load.
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(props, ms(log.groupCommit().replicationIntervalMs()));
        // No metadata entries: Ratis would append one after every advance of the commit index, each
        // written, fsynced and replicated everywhere; and one always follows an append still
        // unanswered, so the pacer held the next real entry back for its busy interval. It
        // only lets a restarted node apply up to its old commit index before hearing from a leader;
        // Raft's safety never depends on it.
        RaftServerConfigKeys.Log.setLogMetadataEnabled(props, false);
        // Synced writes stay on: no unsafe-flush, no async-flush. Fsyncs are group-committed by the
        // log worker anyway.
        return props;
    }

    /** Properties of a Raft client (the CLI, participants' proposals, tests; not the coordinator's appender). */
    public static RaftProperties client(ClusterConfig config) {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, ms(config.timeouts().rpcTimeoutMs()));
        // Above the appender's own bound on outstanding batches, so send() never blocks its thread.
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(props,
                Math.max(100, 2 * config.log().groupCommit().maxOutstandingBatches()));
        return props;
    }

    /**
     * The transport parameters of the Raft server or client of the node {@code process} (tools and
     * tests on the cluster's machine speak as a node too): with {@code tls.enabled}, mutual TLS on
     * Ratis's gRPC transport (one port carries server, client and admin traffic), each end presenting
     * its certificate and trusting only node certificates of the cluster's CA ({@link NodesOnlyTrust}):
     * Ratis cannot tell one certificate from another once a connection is in, so a client's or a
     * service's certificate is refused at the handshake. Ratis 3.2.2 takes the material once, at
     * start; its server side runs on the BoringSSL that ships shaded inside Ratis.
     */
    public static Parameters parameters(ClusterConfig config, String process) {
        return parameters(config, process, new RaftNodes(config, process));
    }

    /** As {@link #parameters(ClusterConfig, String)}, taking the nodes in {@code nodes} (they may grow). */
    public static Parameters parameters(ClusterConfig config, String process, RaftNodes nodes) {
        Parameters parameters = new Parameters();
        if (!config.tls().enabled()) {
            return parameters;
        }
        TlsConfig.Files files = config.tlsFiles(process, "the Raft transport");
        Path ca = files.ca();
        Path cert = files.cert();
        Path key = files.key();
        try {
            GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(NodesOnlyTrust.keyManager(cert, key),
                    NodesOnlyTrust.of(ca, nodes), true));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new ConfigException(config.source(), List.of("tls: the Raft transport of " + process + " cannot use "
                    + cert + ", " + key + " and " + ca + ": " + e.getMessage()));
        }
        return parameters;
    }

    /**
     * The node whose certificate a tool on this machine presents to the Raft port (only nodes may use
     * it): the first node of the configuration whose certificate and key are readable here.
     */
    public static String toolIdentity(ClusterConfig config) {
        return config.nodes().stream().map(NodeConfig::id)
                .filter(id -> Files.isReadable(config.tlsCertFile(id)) && Files.isReadable(config.tlsKeyFile(id)))
                .findFirst().orElse(config.nodes().get(0).id());
    }

    /** Bounded exponential backoff; Ratis's default retries forever without sleeping. */
    public static RetryPolicy clientRetryPolicy() {
        return ExponentialBackoffRetry.newBuilder()
                .setBaseSleepTime(ms(50))
                .setMaxSleepTime(ms(2000))
                .setMaxAttempts(CLIENT_MAX_ATTEMPTS)
                .build();
    }

    /** Where a node keeps the copies of the groups it left, in its Raft storage. */
    public static final String REMOVED_GROUPS = "removed-groups";

    public static TimeDuration ms(long millis) {
        return TimeDuration.valueOf(millis, TimeUnit.MILLISECONDS);
    }
}
