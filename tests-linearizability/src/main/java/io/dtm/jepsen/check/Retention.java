package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import io.dtm.protocol.TxnIds;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the log promised to remember in a run: the outcome of an ended attempt is kept until more
 * than {@code maxOutcomes} outcomes ended after it, or {@code maxAgeMs} of log time passed (log
 * time follows the members' clocks, so it may trail the harness's clock by a few seconds, never
 * lead it by more than the honest clocks do).
 *
 * <p>From the history alone, an outcome is certainly still retained at time T when fewer than
 * {@code maxAgeMs} minus {@link #MARGIN_MS} passed since its tid was first submitted, and the tids
 * first submitted up to T, times {@link TxnIds#MAX_ATTEMPTS} (the attempt ids a tid can ever have,
 * whatever its requests and resubmissions ask), are at most {@code maxOutcomes}: no more outcomes
 * than that can have ended by then.
 */
public record Retention(int maxOutcomes, long maxAgeMs) {
    /**
     * Slack on the age bound: log time trails the clocks by up to a reporting interval (2 s), and the
     * final state is read up to a few minutes after the history's last operation.
     */
    public static final long MARGIN_MS = TimeUnit.MINUTES.toMillis(5);

    public Retention {
        if (maxOutcomes < 1 || maxAgeMs < 1) {
            throw new IllegalArgumentException("retention bounds must be positive: " + maxOutcomes + ", " + maxAgeMs);
        }
    }

    /** The history's tids by when each was first submitted, to bound what retention can have dropped. */
    static final class FirstSubmissions {
        private final Map<String, Long> firstNanos = new HashMap<>();
        private final long[] sortedNanos;

        FirstSubmissions(List<Op> history) {
            for (Op op : history) {
                if (op.isInvoke() && op.tid() != null) {
                    firstNanos.putIfAbsent(op.tid(), op.time());
                }
            }
            sortedNanos = firstNanos.values().stream().mapToLong(Long::longValue).sorted().toArray();
        }

        /** When {@code tid} was first submitted (or read), or null when the history never names it. */
        Long of(String tid) {
            return firstNanos.get(tid);
        }

        /** How many tids were first named at or before {@code nanos}. */
        int upTo(long nanos) {
            int i = Arrays.binarySearch(sortedNanos, nanos);
            if (i < 0) {
                return -i - 1;
            }
            while (i + 1 < sortedNanos.length && sortedNanos[i + 1] == nanos) {
                i++;
            }
            return i + 1;
        }

        int count() {
            return sortedNanos.length;
        }
    }

    /**
     * Whether the outcome of a tid first submitted at {@code firstNanos} is certainly retained at
     * {@code atNanos}, when {@code tidsSoFar} tids had been submitted by then.
     */
    boolean promises(long firstNanos, long atNanos, int tidsSoFar) {
        long ageMs = TimeUnit.NANOSECONDS.toMillis(atNanos - firstNanos);
        return ageMs + MARGIN_MS < maxAgeMs && (long) tidsSoFar * TxnIds.MAX_ATTEMPTS <= maxOutcomes;
    }

    /**
     * Whether the log may have dropped an outcome of this run by the time the harness read it
     * (after the history's last operation): if it may, an outcome missing from the final log is no
     * evidence that it was never logged.
     */
    boolean mayHaveForgotten(List<Op> history) {
        if (history.isEmpty()) {
            return false;
        }
        FirstSubmissions first = new FirstSubmissions(history);
        return !promises(history.get(0).time(), history.get(history.size() - 1).time(), first.count());
    }
}
