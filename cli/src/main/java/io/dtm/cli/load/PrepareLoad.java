package io.dtm.cli.load;

import io.dtm.config.ServiceName;
import io.dtm.protocol.participant.Prepare;
import io.dtm.rpc.ParticipantClient;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A closed-loop load on one participant service: each worker prepares a fresh attempt with a
 * realistic request (random SKU, account, new order id), then commits it, then starts the next.
 * Every PREPARE is a synced write; the measured rate is PREPAREs per second.
 */
public final class PrepareLoad {
    /**
     * What a run measured; latencies are of PREPAREs, in microseconds. {@code windows}: PREPAREs a
     * second from the first one, warm-up included.
     */
    public record Result(long prepares, long noVotes, double seconds, Histogram prepareLatencyMicros, Map<String, Long> failures,
            List<PerSecondCounter.Window> windows) {
        public double preparesPerSecond() {
            return prepares / seconds;
        }
    }

    private final ParticipantClient client;
    private final ServiceName service;
    private final String tidPrefix;
    private final LocalDate today = LocalDate.now(ZoneOffset.UTC);
    private final AtomicLong next = new AtomicLong();
    private final LongAdder prepares = new LongAdder();
    private final LongAdder noVotes = new LongAdder();
    private final Recorder latency = new Recorder(3);
    private final Map<String, Long> failures = new ConcurrentHashMap<>();
    private final ExecutorService starter = TwoPhaseLoad.starter("participant-load");
    private volatile PerSecondCounter preparesFromStart;
    private volatile boolean stopping;
    private volatile boolean measuring;

    public PrepareLoad(ParticipantClient client, ServiceName service, String tidPrefix) {
        this.client = client;
        this.service = service;
        this.tidPrefix = tidPrefix;
    }

    public Result run(int concurrency, Duration warmup, Duration duration) throws InterruptedException {
        try {
            return closedLoop(concurrency, warmup, duration);
        } finally {
            starter.shutdown();
        }
    }

    private Result closedLoop(int concurrency, Duration warmup, Duration duration) throws InterruptedException {
        preparesFromStart = new PerSecondCounter(System::nanoTime, warmup.plus(duration).toSeconds() + 1);
        CountDownLatch stopped = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            next(stopped);
        }
        Thread.sleep(warmup.toMillis());
        latency.reset();
        long before = prepares.sum();
        long noBefore = noVotes.sum();
        measuring = true;
        long start = System.nanoTime();
        Thread.sleep(duration.toMillis());
        long done = prepares.sum() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram h = latency.getIntervalHistogram();
        List<PerSecondCounter.Window> windows = preparesFromStart.windows(warmup);
        measuring = false;
        stopping = true;
        stopped.await(30, TimeUnit.SECONDS);
        return new Result(done, noVotes.sum() - noBefore, seconds, h, Map.copyOf(failures), windows);
    }

    private void next(CountDownLatch stopped) {
        if (stopping) {
            stopped.countDown();
            return;
        }
        long n = next.incrementAndGet();
        String tid = tidPrefix + n;
        long start = System.nanoTime();
        client.prepare(request(tid))
                .thenCompose(vote -> {
                    if (measuring) {
                        latency.recordValue(Math.max(1, (System.nanoTime() - start) / 1_000));
                    }
                    prepares.increment();
                    preparesFromStart.count();
                    if (!vote.getYes()) {
                        noVotes.increment();
                        return client.rollback(tid);
                    }
                    return client.commit(tid);
                })
                .whenComplete((state, error) -> {
                    if (error != null) {
                        Throwable cause = error.getCause() != null ? error.getCause() : error;
                        failures.merge(cause.getClass().getSimpleName(), 1L, Long::sum);
                    }
                    starter.execute(() -> next(stopped));
                });
    }

    private Prepare request(String tid) {
        // Random records, so that concurrent attempts rarely meet on one; shipping dates spread
        // over a year, since a day holds 100,000 shipments.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return SampleRequests.prepare(service, tid, random.nextInt(1000), today.plusDays(1 + random.nextInt(365)));
    }
}
