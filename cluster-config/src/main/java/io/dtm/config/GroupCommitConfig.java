package io.dtm.config;

/**
 * How the leader batches log records of many transactions into one Raft entry, and entries into
 * one replication call.
 *
 * @param maxRecords             records gathered into one Raft entry, at most
 * @param maxDelayMicros         no longer used: a batch leaves as soon as the one ahead of it is
 *                               answered, with no timer (RecordBatcher, BatchGate); still read, so
 *                               that configuration files written before load unchanged
 * @param maxOutstandingBatches  Raft entries in flight from one appender, at most
 * @param replicationIntervalMs  0 (the default): entries for a follower go at once when nothing to it
 *                               is unanswered, else as soon as its earlier AppendEntries is answered,
 *                               together (no timer); positive: while a call is unanswered, new entries
 *                               wait until this long after the last send (the wait used before)
 */
public record GroupCommitConfig(int maxRecords, long maxDelayMicros, int maxOutstandingBatches,
        long replicationIntervalMs) {

    /** The values a configuration file gets for keys it leaves out. */
    public static GroupCommitConfig defaults() {
        return new GroupCommitConfig(256, 5_000, 32, 0);
    }
}
