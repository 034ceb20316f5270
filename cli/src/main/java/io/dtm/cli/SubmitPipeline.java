package io.dtm.cli;

import io.dtm.client.DtmClient;
import io.dtm.config.ServiceName;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Reads transactions as JSON lines and runs them through a {@link DtmClient}, {@code concurrency}
 * at a time; each outcome goes to the listener as it comes (completion order). A malformed line is
 * reported REJECTED with its number and the reason, and the stream goes on.
 */
final class SubmitPipeline {

    /** Told of every line's outcome, from any thread (one call at a time). */
    interface Listener {
        /** {@code request} and {@code result} are null for a malformed line. */
        void outcome(int line, SubmitRequest request, SubmitResult result, Map<String, Object> json);
    }

    /** Counts by outcome kind (COMMITTED, "ABORTED payment: CARD_DECLINED", ...), latency and time. */
    record Summary(long total, long committed, Map<String, Long> byKind, Histogram latencyMicros, double seconds) {
        double perSecond() {
            return seconds == 0 ? 0 : total / seconds;
        }
    }

    private final DtmClient client;
    private final int concurrency;
    private final Listener listener;
    private final LongAdder done = new LongAdder();
    private final LongAdder committed = new LongAdder();
    private final LongAdder aborted = new LongAdder();
    private final Map<String, Long> byKind = new TreeMap<>();
    private final Histogram latency = new Histogram(3);
    private final Semaphore places;

    SubmitPipeline(DtmClient client, int concurrency, Listener listener) {
        this.client = client;
        this.concurrency = concurrency;
        this.listener = listener;
        this.places = new Semaphore(concurrency);
    }

    /** Transactions sent and not yet answered. */
    int inFlight() {
        return concurrency - places.availablePermits();
    }

    long done() {
        return done.sum();
    }

    long committed() {
        return committed.sum();
    }

    long aborted() {
        return aborted.sum();
    }

    Summary run(BufferedReader input) throws IOException, InterruptedException {
        long start = System.nanoTime();
        int lineNo = 0;
        String line;
        while ((line = input.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            int number = lineNo;
            SubmitRequest request;
            try {
                request = OrderJson.parse(line);
            } catch (OrderJson.FormatException e) {
                report(number, null, null, ResultJson.malformed(number, OrderJson.tidOf(line), e.getMessage()), 0,
                        "REJECTED malformed line");
                continue;
            }
            places.acquire();
            long sent = System.nanoTime();
            client.submit(request).whenComplete((result, error) -> {
                try {
                    SubmitResult r = error == null ? result : SubmitResult.newBuilder().setTid(request.getTid())
                            .setStatus(SubmitResult.Status.UNKNOWN).setReason(describe(error)).build();
                    double ms = (System.nanoTime() - sent) / 1e6;
                    report(number, request, r, ResultJson.of(number, r, ms), (long) (ms * 1000), kind(r));
                } finally {
                    places.release();
                }
            });
        }
        places.acquire(concurrency);
        places.release(concurrency);
        double seconds = (System.nanoTime() - start) / 1e9;
        synchronized (this) {
            return new Summary(done.sum(), committed.sum(), new TreeMap<>(byKind), latency.copy(), seconds);
        }
    }

    private synchronized void report(int line, SubmitRequest request, SubmitResult result, Map<String, Object> json,
            long latencyMicros, String kind) {
        done.increment();
        if (result != null) {
            latency.recordValue(Math.max(1, latencyMicros));
            if (result.getStatus() == SubmitResult.Status.COMMITTED) {
                committed.increment();
            } else if (result.getStatus() == SubmitResult.Status.ABORTED) {
                aborted.increment();
            }
        }
        byKind.merge(kind, 1L, Long::sum);
        listener.outcome(line, request, result, json);
    }

    /**
     * What the summary counts an outcome as: COMMITTED; ABORTED with the service and code when a
     * service refused ("ABORTED payment: CARD_DECLINED"), else with the coordinator's reason; or
     * the status and the start of the reason.
     */
    static String kind(SubmitResult r) {
        if (r.getStatus() == SubmitResult.Status.COMMITTED) {
            return "COMMITTED";
        }
        String reason = r.getReason();
        String[] parts = reason.split(": ", 3);
        if (r.getStatus() == SubmitResult.Status.ABORTED && parts.length >= 2 && ServiceName.fromId(parts[0]).isPresent()) {
            return "ABORTED " + parts[0] + ": " + parts[1];
        }
        return r.getStatus() + (reason.isEmpty() ? "" : " " + (reason.length() > 60 ? reason.substring(0, 57) + "..." : reason));
    }

    private static String describe(Throwable error) {
        Throwable cause = error.getCause() != null ? error.getCause() : error;
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }
}
