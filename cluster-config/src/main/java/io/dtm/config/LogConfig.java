package io.dtm.config;

import java.util.Objects;

/**
 * The replicated transaction log: how it is split into Raft groups, snapshots, Raft segments,
 * outcome retention and group commit.
 *
 * @param snapshotEveryEntries take a snapshot after this many applied Raft entries
 * @param segmentSizeBytes     Raft log segment size; closed segments behind a snapshot are purged
 * @param retention            how long outcomes of ended transactions are kept
 * @param groupCommit          how records are batched into Raft entries
 * @param groups               Raft groups the log is split into (tids are spread over them, each group
 *                             has its own leader); fixed when a cluster's data is created
 * @param replication          nodes each group lives on; {@link #DEFAULT_REPLICATION} means three, or
 *                             every node of a smaller cluster ({@link ClusterConfig#replication()})
 */
public record LogConfig(long snapshotEveryEntries, long segmentSizeBytes, RetentionConfig retention,
        GroupCommitConfig groupCommit, int groups, int replication) {

    /** Groups when a file does not say: one preferred leader per node of the bundled three. */
    public static final int DEFAULT_GROUPS = 3;
    /** Replication when a file does not say: three nodes, or all of a smaller cluster's. */
    public static final int DEFAULT_REPLICATION = 0;
    /** Groups a cluster may have at most: each costs every member a Raft division and its threads. */
    public static final int MAX_GROUPS = 64;

    public LogConfig {
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(groupCommit, "groupCommit");
        if (groups < 1 || groups > MAX_GROUPS) {
            throw new IllegalArgumentException("groups must be between 1 and " + MAX_GROUPS + ", got " + groups);
        }
        if (replication < 0) {
            throw new IllegalArgumentException("replication must be positive (or 0 for the default), got " + replication);
        }
    }

    /** The values a configuration file gets for keys it leaves out. */
    public static LogConfig defaults() {
        return new LogConfig(10_000, 8L * 1024 * 1024, RetentionConfig.defaults(), GroupCommitConfig.defaults(),
                DEFAULT_GROUPS, DEFAULT_REPLICATION);
    }

    /** A copy with other retention bounds (the groups and everything else kept). */
    public LogConfig withRetention(RetentionConfig newRetention) {
        return new LogConfig(snapshotEveryEntries, segmentSizeBytes, newRetention, groupCommit, groups, replication);
    }

    /** A copy with another group commit (the groups and everything else kept). */
    public LogConfig withGroupCommit(GroupCommitConfig newGroupCommit) {
        return new LogConfig(snapshotEveryEntries, segmentSizeBytes, retention, newGroupCommit, groups, replication);
    }

    /** A copy split into {@code newGroups} groups of {@code newReplication} nodes each. */
    public LogConfig withGroups(int newGroups, int newReplication) {
        return new LogConfig(snapshotEveryEntries, segmentSizeBytes, retention, groupCommit, newGroups, newReplication);
    }
}
