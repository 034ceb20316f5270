package io.dtm.config;

/**
 * How the leader batches log records of many transactions into one Raft entry, and entries into
 * one replication call.
 *
 * @param maxRecords             records gathered into one Raft entry, at most
 * @param maxDelayMicros         how long a batch waits for more records while another is in flight
 * @param maxOutstandingBatches  Raft entries in flight from one appender, at most
 * @param replicationIntervalMs  the leader sends each follower at most one AppendEntries call per
 *                               interval (Ratis's appender {@code wait-time.min}); a longer one
 *                               carries more entries per call, at the cost of latency under light load
 */
public record GroupCommitConfig(int maxRecords, long maxDelayMicros, int maxOutstandingBatches,
        long replicationIntervalMs) {

    /** The values a configuration file gets for keys it leaves out. */
    public static GroupCommitConfig defaults() {
        return new GroupCommitConfig(256, 5_000, 32, 1);
    }
}
