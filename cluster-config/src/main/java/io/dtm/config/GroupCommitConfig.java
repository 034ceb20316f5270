package io.dtm.config;

/**
 * How the leader batches log records of many transactions into one Raft entry.
 *
 * @param maxRecords            records gathered into one Raft entry, at most
 * @param maxDelayMicros        how long a batch waits for more records while another is in flight
 * @param maxOutstandingBatches Raft entries in flight from one appender, at most
 */
public record GroupCommitConfig(int maxRecords, long maxDelayMicros, int maxOutstandingBatches) {

    /** The values a configuration file gets for keys it leaves out. */
    public static GroupCommitConfig defaults() {
        return new GroupCommitConfig(256, 5_000, 32);
    }
}
