package io.dtm.log;

import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Appends records on behalf of one coordinator term, group-committed like
 * {@link TxnLogClient#append}. Obtained from {@link TxnLogClient#appender}.
 */
public final class LogAppender implements AutoCloseable {
    private final LogGroups groups;
    private final List<RecordBatcher> batchers;

    LogAppender(LogGroups groups, List<RecordBatcher> batchers) {
        this.groups = groups;
        this.batchers = batchers;
    }

    /** Appends one record; the future completes with what became of it once its entry is applied. */
    public CompletableFuture<RecordResult> append(TxnRecord record) {
        return batchers.get(groups.indexOf(LogRecords.tidOf(record))).submit(record);
    }

    @Override
    public void close() {
        batchers.forEach(RecordBatcher::close);
    }
}
