package io.dtm.cli.submit;

import io.dtm.protocol.Failures;
import io.dtm.client.DtmClient;
import io.dtm.config.ServiceName;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.Reader;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;

/**
 * Reads transactions as JSON lines and runs them through a {@link DtmClient}, {@code concurrency}
 * at a time; each outcome goes to the listener as it comes (completion order). A malformed line is
 * reported REJECTED with its number and the reason, and the stream goes on.
 */
public final class SubmitPipeline {

    /** Told of every line's outcome, from any thread (one call at a time). */
    public interface Listener {
        /** {@code request} and {@code result} are null for a malformed line. */
        void outcome(int line, SubmitRequest request, SubmitResult result, Map<String, Object> json);
    }

    /** Counts by outcome kind (COMMITTED, "ABORTED payment: CARD_DECLINED", ...), latency and time. */
    public record Summary(long total, long committed, Map<String, Long> byKind, Histogram latencyMicros, double seconds) {
        public double perSecond() {
            return seconds == 0 ? 0 : total / seconds;
        }
    }

    private final DtmClient client;
    private final int concurrency;
    private final Listener listener;
    private final LongAdder done = new LongAdder();
    private final LongAdder committed = new LongAdder();
    private final LongAdder aborted = new LongAdder();
    private final LongAdder overloaded = new LongAdder();
    private final Map<String, Long> byKind = new TreeMap<>();
    private final Histogram latency = new Histogram(3);
    private final Semaphore places;

    public SubmitPipeline(DtmClient client, int concurrency, Listener listener) {
        this.client = client;
        this.concurrency = concurrency;
        this.listener = listener;
        this.places = new Semaphore(concurrency);
    }

    /** Transactions sent and not yet answered. */
    public int inFlight() {
        return concurrency - places.availablePermits();
    }

    public long done() {
        return done.sum();
    }

    public long committed() {
        return committed.sum();
    }

    public long aborted() {
        return aborted.sum();
    }

    /** Transactions that never got through: the leader still had no room for them at their deadline. */
    public long overloaded() {
        return overloaded.sum();
    }

    /** The longest input line read; a longer one is REJECTED without being held in memory. */
    public static final int MAX_LINE_CHARS = 1 << 20;

    public Summary run(Reader input) throws IOException, InterruptedException {
        return run(input, line -> { });
    }

    /** Runs every line of {@code input}; {@code beforeLine} is told each line number before it is read. */
    public Summary run(Reader input, IntConsumer beforeLine) throws IOException, InterruptedException {
        LineReader lines = new LineReader(input, MAX_LINE_CHARS);
        long start = System.nanoTime();
        int lineNo = 0;
        while (true) {
            beforeLine.accept(++lineNo);
            int number = lineNo;
            String line;
            try {
                line = lines.next();
            } catch (LineReader.TooLong e) {
                report(number, null, null, ResultJson.malformed(number, null, e.getMessage()), 0,
                        "REJECTED malformed line");
                continue;
            }
            if (line == null) {
                break;
            }
            if (line.isBlank()) {
                continue;
            }
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
                    SubmitResult r = error == null ? result : failed(request.getTid(), error);
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
            } else if (result.getStatus() == SubmitResult.Status.OVERLOADED) {
                overloaded.increment();
            }
        }
        byKind.merge(kind, 1L, Long::sum);
        listener.outcome(line, request, result, json);
    }

    /**
     * What the summary counts an outcome as: COMMITTED; OVERLOADED (one kind: the leader's reasons
     * carry its counts, which differ from one answer to the next); ABORTED with the service and code
     * when a service refused ("ABORTED payment: CARD_DECLINED"), else with the coordinator's reason;
     * or the status and the start of the reason.
     */
    public static String kind(SubmitResult r) {
        if (r.getStatus() == SubmitResult.Status.COMMITTED || r.getStatus() == SubmitResult.Status.OVERLOADED) {
            return r.getStatus().name();
        }
        String reason = r.getReason();
        String[] parts = reason.split(": ", 3);
        if (r.getStatus() == SubmitResult.Status.ABORTED && parts.length >= 2 && ServiceName.fromId(parts[0]).isPresent()) {
            return "ABORTED " + parts[0] + ": " + parts[1];
        }
        return r.getStatus() + (reason.isEmpty() ? "" : " " + (reason.length() > 60 ? reason.substring(0, 57) + "..." : reason));
    }

    /**
     * A submission that ended in an error rather than an outcome: REJECTED when the cluster refused
     * the request itself (nothing ran), otherwise UNKNOWN — it may have run, so never a guess.
     */
    static SubmitResult failed(String tid, Throwable error) {
        Throwable cause = Failures.unwrap(error);
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        boolean refused = cause instanceof RemoteException remote && (remote.code() == ErrorCode.INVALID_REQUEST
                || remote.code() == ErrorCode.FRAME_TOO_LARGE || remote.code() == ErrorCode.CONFLICT);
        return SubmitResult.newBuilder().setTid(tid)
                .setStatus(refused ? SubmitResult.Status.REJECTED : SubmitResult.Status.UNKNOWN)
                .setReason(message).build();
    }
}
