package io.dtm.config;

import java.util.Objects;

/**
 * The replicated transaction log: snapshots, Raft segments, outcome retention and group commit.
 *
 * @param snapshotEveryEntries take a snapshot after this many applied Raft entries
 * @param segmentSizeBytes     Raft log segment size; closed segments behind a snapshot are purged
 * @param retention            how long outcomes of ended transactions are kept
 * @param groupCommit          how records are batched into Raft entries
 */
public record LogConfig(long snapshotEveryEntries, long segmentSizeBytes, RetentionConfig retention,
        GroupCommitConfig groupCommit) {

    public LogConfig {
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(groupCommit, "groupCommit");
    }

    /** The values a configuration file gets for keys it leaves out. */
    public static LogConfig defaults() {
        return new LogConfig(10_000, 8L * 1024 * 1024, RetentionConfig.defaults(), GroupCommitConfig.defaults());
    }
}
