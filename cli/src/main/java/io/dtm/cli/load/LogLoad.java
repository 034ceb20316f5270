package io.dtm.cli.load;

import io.dtm.log.TxnLogClient;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A closed-loop load on the replicated log alone: each of {@code concurrency} workers runs
 * transactions one after another, each transaction being the three records a coordinator logs
 * (Begin, Decide COMMIT, End), every record awaited before the next. No participants. The records
 * go as probes ({@link TxnLogClient#appendProbe}): replicated and synced like a coordinator's,
 * applied to nothing, so a run changes no transaction and pushes no outcome out of retention.
 */
public final class LogLoad {
    static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");

    /**
     * What a run measured; latencies are per record, in microseconds. {@code windows}: transactions
     * a second from the first one, warm-up included.
     */
    public record Result(long transactions, double seconds, double recordsPerEntry, Histogram recordLatencyMicros,
            Map<String, Long> failures, List<PerSecondCounter.Window> windows) {
        public double transactionsPerSecond() {
            return transactions / seconds;
        }

        public double recordsPerSecond() {
            return 3 * transactions / seconds;
        }
    }

    private final TxnLogClient client;
    private final String tidPrefix;
    private final AtomicLong nextTid = new AtomicLong();
    private final LongAdder completed = new LongAdder();
    private final Recorder latency = new Recorder(3);
    private final Map<String, Long> failures = new ConcurrentHashMap<>();
    private final ScheduledExecutorService retryTimer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "log-load-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile PerSecondCounter completedFromStart;
    private volatile boolean stopping;
    private volatile boolean measuring;

    public LogLoad(TxnLogClient client, String tidPrefix) {
        this.client = client;
        this.tidPrefix = tidPrefix;
    }

    /** Runs {@code warmup} unmeasured, then {@code duration} measured, with {@code concurrency} workers. */
    public Result run(int concurrency, Duration warmup, Duration duration) throws InterruptedException {
        completedFromStart = new PerSecondCounter(System::nanoTime, warmup.plus(duration).toSeconds() + 1);
        CountDownLatch stopped = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            nextTransaction(stopped);
        }
        Thread.sleep(warmup.toMillis());
        latency.reset();
        long before = completed.sum();
        TxnLogClient.AppendStats statsBefore = client.appendStats();
        measuring = true;
        long start = System.nanoTime();
        Thread.sleep(duration.toMillis());
        long transactions = completed.sum() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram histogram = latency.getIntervalHistogram();
        double recordsPerEntry = client.appendStats().since(statsBefore).recordsPerEntry();
        List<PerSecondCounter.Window> windows = completedFromStart.windows(warmup);
        measuring = false;
        stopping = true;
        stopped.await(30, TimeUnit.SECONDS);
        retryTimer.shutdownNow();
        return new Result(transactions, seconds, recordsPerEntry, histogram, Map.copyOf(failures), windows);
    }

    private void nextTransaction(CountDownLatch stopped) {
        if (stopping) {
            stopped.countDown();
            return;
        }
        String tid = tidPrefix + nextTid.incrementAndGet();
        timed(LogRecords.begin(tid, FOUR, System.currentTimeMillis() + 30_000))
                .thenCompose(r -> timed(LogRecords.decide(tid, Outcome.COMMIT, "", "bench")))
                .thenCompose(r -> timed(LogRecords.end(tid)))
                .whenComplete((r, error) -> {
                    if (error == null) {
                        completed.increment();
                        completedFromStart.count();
                        nextTransaction(stopped);
                    } else {
                        Throwable cause = error.getCause() != null ? error.getCause() : error;
                        failures.merge(cause.getClass().getSimpleName(), 1L, Long::sum);
                        // Back off off this thread: a failure that completes at once must not recurse.
                        retryTimer.schedule(() -> nextTransaction(stopped), 50, TimeUnit.MILLISECONDS);
                    }
                });
    }

    private CompletableFuture<RecordResult> timed(io.dtm.protocol.log.TxnRecord record) {
        long start = System.nanoTime();
        return client.appendProbe(record).whenComplete((r, e) -> {
            if (e == null && measuring) {
                latency.recordValue(Math.max(1, (System.nanoTime() - start) / 1_000));
            }
        });
    }
}
