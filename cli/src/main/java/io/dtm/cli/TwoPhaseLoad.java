package io.dtm.cli;

import io.dtm.client.DtmClient;
import io.dtm.config.ServiceName;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A closed-loop load of realistic orders through the coordinator: each worker submits an order
 * (random SKU and account, or one of a small hot set for contention), waits for its outcome, and
 * submits the next.
 */
final class TwoPhaseLoad {
    /** What a run measured; latencies are of whole transactions, in microseconds. */
    record Result(long committed, Map<String, Long> outcomes, double seconds, Histogram latencyMicros) {
        double committedPerSecond() {
            return committed / seconds;
        }
    }

    private final DtmClient client;
    private final List<ServiceName> services;
    private final int hotSet;
    private final String tidPrefix;
    private final LocalDate today = LocalDate.now(ZoneOffset.UTC);
    private final AtomicLong next = new AtomicLong();
    private final LongAdder committed = new LongAdder();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final Recorder latency = new Recorder(3);
    private volatile boolean stopping;
    private volatile boolean measuring;

    /** @param hotSet when positive, every order uses one of this many SKUs and accounts */
    TwoPhaseLoad(DtmClient client, List<ServiceName> services, int hotSet, String tidPrefix) {
        this.client = client;
        this.services = services;
        this.hotSet = hotSet;
        this.tidPrefix = tidPrefix;
    }

    Result run(int concurrency, Duration warmup, Duration duration) throws InterruptedException {
        CountDownLatch stopped = new CountDownLatch(concurrency);
        for (int i = 0; i < concurrency; i++) {
            next(stopped);
        }
        Thread.sleep(warmup.toMillis());
        latency.reset();
        long before = committed.sum();
        outcomes.clear();
        measuring = true;
        long start = System.nanoTime();
        Thread.sleep(duration.toMillis());
        long done = committed.sum() - before;
        double seconds = (System.nanoTime() - start) / 1e9;
        Histogram h = latency.getIntervalHistogram();
        measuring = false;
        Map<String, Long> counted = new TreeMap<>();
        outcomes.forEach((k, v) -> counted.put(k, v.sum()));
        stopping = true;
        stopped.await(60, TimeUnit.SECONDS);
        return new Result(done, counted, seconds, h);
    }

    private void next(CountDownLatch stopped) {
        if (stopping) {
            stopped.countDown();
            return;
        }
        long start = System.nanoTime();
        client.submit(order(tidPrefix + next.incrementAndGet())).whenComplete((result, error) -> {
            if (measuring) {
                latency.recordValue(Math.max(1, (System.nanoTime() - start) / 1_000));
                String key = error != null ? "ERROR " + error.getClass().getSimpleName() : SubmitPipeline.kind(result);
                outcomes.computeIfAbsent(key, k -> new LongAdder()).increment();
            }
            if (error == null && result.getStatus() == SubmitResult.Status.COMMITTED) {
                committed.increment();
            }
            // Answers complete on an event loop: start the next transaction elsewhere.
            CompletableFuture.runAsync(() -> next(stopped));
        });
    }

    private SubmitRequest order(String tid) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int n = hotSet > 0 ? random.nextInt(hotSet) : random.nextInt(1000);
        LocalDate shipOn = today.plusDays(1 + random.nextInt(365));
        SubmitRequest.Builder request = SubmitRequest.newBuilder().setTid(tid);
        for (ServiceName service : services) {
            var prepare = SampleRequests.prepare(service, tid, n, shipOn);
            switch (service) {
                case INVENTORY -> request.setInventory(prepare.getInventory());
                case PAYMENT -> request.setPayment(prepare.getPayment());
                case ORDER -> request.setOrder(prepare.getOrder());
                case SHIPPING -> request.setShipping(prepare.getShipping());
            }
        }
        return request.build();
    }
}
