package io.dtm.config;

/**
 * How the leader batches log records of many transactions into one Raft entry, and entries into
 * one replication call.
 *
 * @param maxRecords             records gathered into one Raft entry, at most
 * @param maxDelayMicros         how long a batch waits for more records while another is in flight
 * @param maxOutstandingBatches  Raft entries in flight from one appender, at most
 * @param replicationIntervalMs  while an AppendEntries call to a follower is unanswered, new entries
 *                               for it wait until this long after the last send, and go in one call;
 *                               to an idle follower they go after at most 1 ms (Ratis's default wait)
 */
public record GroupCommitConfig(int maxRecords, long maxDelayMicros, int maxOutstandingBatches,
        long replicationIntervalMs) {

    /** The values a configuration file gets for keys it leaves out. */
    public static GroupCommitConfig defaults() {
        return new GroupCommitConfig(256, 5_000, 32, 5);
    }
}
