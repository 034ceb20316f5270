package io.dtm.log.raft;

import io.dtm.protocol.log.RecordBatch;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What a batch says of the clock of the process that seals it: the node's wall clock and, read
 * with it, milliseconds on this process's monotonic clock since a fixed origin, with a random id of
 * this process. Log time moves by
 * the monotonic part alone ({@link io.dtm.log.state.TxnLogState}), so every batch a node's process
 * seals — its coordinator's, its log client's, its clock reports — must count from the same
 * origin: one per process, here.
 */
public final class ClockStamp {
    private static final long ORIGIN_NANOS = System.nanoTime();
    /** Never 0, which the log reads as "no process id". */
    private static final long PROCESS_ID = new SecureRandom().longs().filter(id -> id != 0).findFirst().orElseThrow();

    private ClockStamp() {
    }

    /** Sets {@code nodeId}, its wall clock ({@code wallMs}) and this process's monotonic reading on {@code batch}. */
    public static RecordBatch.Builder stamp(RecordBatch.Builder batch, String nodeId, LongSupplier wallMs) {
        return batch.setNodeId(nodeId).setTimestampMs(wallMs.getAsLong()).setUptimeMs(uptimeMs())
                .setProcessId(PROCESS_ID);
    }

    static long uptimeMs() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - ORIGIN_NANOS);
    }
}
