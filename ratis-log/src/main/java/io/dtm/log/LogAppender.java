package io.dtm.log;

import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;

import java.util.concurrent.CompletableFuture;

/**
 * Appends records on behalf of one coordinator term (its coordinator and in-doubt resolver),
 * group-committed, straight into the Raft server of the node it runs on. Obtained from
 * {@link TxnLogServer#appender}; its batches carry the term, so once another leader has taken over,
 * whatever it still appends is refused by the log (see {@code RecordBatch.proposer_term}).
 */
public final class LogAppender implements AutoCloseable {
    private final RecordBatcher batcher;

    LogAppender(RecordBatcher batcher) {
        this.batcher = batcher;
    }

    /** Appends one record; the future completes with what became of it once its entry is applied. */
    public CompletableFuture<RecordResult> append(TxnRecord record) {
        return batcher.submit(record);
    }

    @Override
    public void close() {
        batcher.close();
    }
}
