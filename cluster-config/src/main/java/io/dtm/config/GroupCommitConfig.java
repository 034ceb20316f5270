package io.dtm.config;

/**
 * How the leader batches log records of many transactions into one Raft entry, and entries into
 * one replication call.
 *
 * <p>A batch leaves at once when nothing is in flight, else as soon as the one ahead of it is
 * answered (RecordBatcher, BatchGate): no timer, so there is no linger to configure. The key
 * {@code maxDelayMicros}, the linger used before, is still accepted in files and ignored, with a
 * warning ({@link ConfigParser#RETIRED_GROUP_COMMIT_KEYS}).
 *
 * @param maxRecords             records gathered into one Raft entry, at most
 * @param maxOutstandingBatches  Raft entries in flight from one appender, at most
 * @param replicationIntervalMs  0 (the default): entries for a follower go at once when nothing to it
 *                               is unanswered, else as soon as its earlier AppendEntries is answered,
 *                               together (no timer); positive: while a call is unanswered, new entries
 *                               wait until this long after the last send (the wait used before)
 */
public record GroupCommitConfig(int maxRecords, int maxOutstandingBatches, long replicationIntervalMs) {

    /** The values a configuration file gets for keys it leaves out. */
    public static GroupCommitConfig defaults() {
        return new GroupCommitConfig(256, 32, 0);
    }
}
