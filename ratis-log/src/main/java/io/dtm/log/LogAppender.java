package io.dtm.log;

import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import org.apache.ratis.client.RaftClient;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Appends records on behalf of one coordinator term, group-committed like
 * {@link TxnLogClient#append}. Obtained from {@link TxnLogClient#appender}.
 */
public final class LogAppender implements AutoCloseable {
    private final LogGroups groups;
    private final List<RecordBatcher> batchers;
    /** Raft clients this appender made for itself (closed with it); empty when it shares its log client's. */
    private final List<RaftClient> ownClients;

    LogAppender(LogGroups groups, List<RecordBatcher> batchers, List<RaftClient> ownClients) {
        this.groups = groups;
        this.batchers = batchers;
        this.ownClients = ownClients;
    }

    /** Appends one record; the future completes with what became of it once its entry is applied. */
    public CompletableFuture<RecordResult> append(TxnRecord record) {
        return batchers.get(groups.indexOf(LogRecords.tidOf(record))).submit(record);
    }

    @Override
    public void close() {
        batchers.forEach(RecordBatcher::close);
        for (RaftClient client : ownClients) {
            try {
                client.close();
            } catch (IOException e) {
                LoggerFactory.getLogger(LogAppender.class).warn("closing a Raft client of a log appender failed", e);
            }
        }
    }
}
