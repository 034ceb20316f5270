package io.dtm.cli.load;

import io.dtm.cli.submit.SubmitPipeline;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A load of realistic orders through the coordinator (random SKU and account, or one of a small
 * hot set; the orders name no version, so they share those records rather than lock them). Closed
 * loop: each of N workers submits an order, waits for its outcome, and submits the next. Open
 * loop: orders are sent at a fixed rate whatever the answers, and a latency counts from when the
 * order was due, not when it went out, so a stall is not hidden by the orders it kept from being
 * sent (coordinated omission).
 */
public final class TwoPhaseLoad {
    /**
     * What a run measured; latencies are of whole transactions, in microseconds.
     * {@code committedEachSecond}: of the measured time; {@code windows}: committed/s from the first
     * order, warm-up included.
     */
    public record Result(long committed, Map<String, Long> outcomes, double seconds, Histogram latencyMicros, long notSent,
            long[] committedEachSecond, List<PerSecondCounter.Window> windows) {
        public double committedPerSecond() {
            return committed / seconds;
        }
    }

    /**
     * The transactions around a fault (see {@link #markFault}): those in flight when it struck
     * (begun before, answered after) with their outcomes and when the last one had it, when a
     * transaction begun after it first committed, and how many of all were never answered. Times
     * in milliseconds from the fault; -1 when there was no such transaction.
     */
    public record FaultRecovery(long inFlight, Map<String, Long> inFlightOutcomes, double lastInFlightOutcomeMs,
            double firstCommitAfterMs, long unanswered) {
    }

    private final DtmClient client;
    private final List<ServiceName> services;
    private final int hotSet;
    private final String tidPrefix;
    private final LocalDate today = LocalDate.now(ZoneOffset.UTC);
    private final AtomicLong next = new AtomicLong();
    /** Committed in the measured time. */
    private final LongAdder committed = new LongAdder();
    private final Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    private final Recorder latency = new Recorder(3);
    private final AtomicLong inFlight = new AtomicLong();
    private final LongAdder notSent = new LongAdder();
    private final ExecutorService starter = starter("bench-load");
    private volatile boolean stopping;
    private volatile boolean measuring;
    private volatile long measureStartNanos;
    private volatile PerSecondCounter committedEachSecond = new PerSecondCounter(System::nanoTime, 0);
    private volatile PerSecondCounter committedFromStart;
    private volatile Duration warmup = Duration.ZERO;
    private volatile long faultNanos = Long.MAX_VALUE;
    private final Map<String, LongAdder> faultOutcomes = new ConcurrentHashMap<>();
    private final AtomicLong lastInFlightOutcomeNanos = new AtomicLong(-1);
    private final AtomicLong firstCommitAfterNanos = new AtomicLong(Long.MAX_VALUE);

    /** @param hotSet when positive, every order uses one of this many SKUs and accounts */
    public TwoPhaseLoad(DtmClient client, List<ServiceName> services, int hotSet, String tidPrefix) {
        this.client = client;
        this.services = services;
        this.hotSet = hotSet;
        this.tidPrefix = tidPrefix;
    }

    /** Closed loop: {@code concurrency} orders in flight all the time. */
    public Result run(int concurrency, Duration warmup, Duration duration) throws InterruptedException {
        try {
            startCounting(warmup, duration);
            CountDownLatch stopped = new CountDownLatch(concurrency);
            for (int i = 0; i < concurrency; i++) {
                next(stopped);
            }
            Thread.sleep(warmup.toMillis());
            Result result = measure(duration);
            stopping = true;
            stopped.await(60, TimeUnit.SECONDS);
            return result;
        } finally {
            starter.shutdown();
        }
    }

    /** Counts commits from now, the load's start, to the end of the measured time. */
    private void startCounting(Duration warmup, Duration duration) {
        this.warmup = warmup;
        committedFromStart = new PerSecondCounter(System::nanoTime, warmup.plus(duration).toSeconds() + 1);
    }

    /**
     * The thread that starts each next transaction of a closed loop: answers complete on an event
     * loop, which must not do that work. Not {@code CompletableFuture.runAsync}: on a machine with
     * two cores its common pool has one thread, so it starts a new thread for every task.
     */
    static ExecutorService starter(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Open loop: {@code rate} orders a second, due at even intervals. An order due while
     * {@code maxInFlight} are unanswered is not sent, and counted as such: the cluster is not
     * keeping up with the rate.
     */
    public Result runAtRate(double rate, int maxInFlight, Duration warmup, Duration duration) throws InterruptedException {
        startCounting(warmup, duration);
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long end = measureFrom + duration.toNanos();
        long due = 0;
        Result result = null;
        while (result == null) {
            long now = System.nanoTime();
            if (!measuring && now >= measureFrom) {
                startMeasuring(duration);
            }
            if (now >= end) {
                result = snapshot(now - measureFrom);
                break;
            }
            for (long dueNow = (long) ((now - start) / 1e9 * rate); due < dueNow; due++) {
                long dueAt = start + (long) (due * 1e9 / rate);
                if (inFlight.get() >= maxInFlight) {
                    if (measuring) {
                        notSent.increment();
                    }
                } else {
                    submit(dueAt, null);
                }
            }
            TimeUnit.MICROSECONDS.sleep(200);
        }
        long drainBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (inFlight.get() > 0 && System.nanoTime() < drainBy) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        return result;
    }

    private Result measure(Duration duration) throws InterruptedException {
        startMeasuring(duration);
        Thread.sleep(duration.toMillis());
        return snapshot(System.nanoTime() - measureStartNanos);
    }

    private void startMeasuring(Duration duration) {
        latency.reset();
        committed.reset();
        outcomes.clear();
        notSent.reset();
        committedEachSecond = new PerSecondCounter(System::nanoTime, duration.toSeconds() + 1);
        measureStartNanos = System.nanoTime();
        measuring = true;
    }

    /**
     * Marks the moment of a fault (call it just before injecting one): from then on the load follows
     * the transactions that were in flight, and the first commit of one begun afterwards.
     */
    public void markFault() {
        faultNanos = System.nanoTime();
    }

    /** What {@link #markFault} followed; meaningful once the run has returned (every transaction answered). */
    public FaultRecovery faultRecovery() {
        Map<String, Long> counted = new TreeMap<>();
        faultOutcomes.forEach((k, v) -> counted.put(k, v.sum()));
        long inFlightThen = counted.values().stream().mapToLong(Long::longValue).sum();
        long last = lastInFlightOutcomeNanos.get();
        long first = firstCommitAfterNanos.get();
        return new FaultRecovery(inFlightThen, counted, last < 0 ? -1 : last / 1e6,
                first == Long.MAX_VALUE ? -1 : first / 1e6, inFlight.get());
    }

    private Result snapshot(long elapsedNanos) {
        long done = committed.sum();
        Histogram h = latency.getIntervalHistogram();
        measuring = false;
        Map<String, Long> counted = new TreeMap<>();
        outcomes.forEach((k, v) -> counted.put(k, v.sum()));
        long[] perSecond = committedEachSecond.firstSeconds(elapsedNanos / 1_000_000_000L);
        return new Result(done, counted, elapsedNanos / 1e9, h, notSent.sum(), perSecond,
                committedFromStart.windows(warmup));
    }

    private void next(CountDownLatch stopped) {
        if (stopping) {
            stopped.countDown();
            return;
        }
        submit(System.nanoTime(), stopped);
    }

    /** Submits one order due at {@code dueNanos}; in the closed loop ({@code stopped} set), the next follows its answer. */
    private void submit(long dueNanos, CountDownLatch stopped) {
        inFlight.incrementAndGet();
        client.submit(order(tidPrefix + next.incrementAndGet())).whenComplete((result, error) -> {
            long now = System.nanoTime();
            inFlight.decrementAndGet();
            boolean isCommitted = error == null && result.getStatus() == SubmitResult.Status.COMMITTED;
            String kind = error != null ? "ERROR " + error.getClass().getSimpleName() : SubmitPipeline.kind(result);
            if (measuring) {
                latency.recordValue(Math.max(1, (now - dueNanos) / 1_000));
                outcomes.computeIfAbsent(kind, k -> new LongAdder()).increment();
                if (isCommitted) {
                    // Counted with its outcome, so that committed and outcomes.COMMITTED agree.
                    committed.increment();
                    committedEachSecond.count();
                }
            }
            if (isCommitted) {
                committedFromStart.count();
            }
            followFault(dueNanos, now, isCommitted, kind);
            if (stopped != null) {
                starter.execute(() -> next(stopped));
            }
        });
    }

    private void followFault(long startNanos, long now, boolean isCommitted, String kind) {
        long fault = faultNanos;
        if (now < fault) {
            return;
        }
        if (startNanos < fault) {
            faultOutcomes.computeIfAbsent(kind, k -> new LongAdder()).increment();
            lastInFlightOutcomeNanos.accumulateAndGet(now - fault, Math::max);
        } else if (isCommitted) {
            firstCommitAfterNanos.accumulateAndGet(now - fault, Math::min);
        }
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
