package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The core's timers, by due time. A timer is never cancelled: when it fires, the core checks that
 * what it was set for still needs doing (a vote may have come meanwhile).
 */
final class Timers {
    enum Kind {
        /** Resend a PREPARE that failed or timed out. */
        PREPARE_RETRY,
        /** Resend a COMMIT or ROLLBACK not acknowledged yet. */
        PHASE2_RETRY,
        /** The transaction's deadline: abort if still undecided. */
        DEADLINE,
        /** Start the next attempt after a LOCKED abort. */
        NEXT_ATTEMPT,
        /** Append again a record whose append failed (appends are idempotent). */
        APPEND_RETRY,
        /** Read again an attempt's state from the log after a failed read. */
        READ_RETRY,
        /** Answer an ABORT that no participant of its run answered, if no acknowledgement came first. */
        ANSWER
    }

    record Timer(long atMs, Kind kind, String id, ServiceName service, io.dtm.protocol.log.TxnRecord record) {
    }

    private final PriorityQueue<Timer> queue = new PriorityQueue<>((a, b) -> Long.compare(a.atMs(), b.atMs()));

    void at(long atMs, Kind kind, String id) {
        queue.add(new Timer(atMs, kind, id, null, null));
    }

    void at(long atMs, Kind kind, String id, ServiceName service) {
        queue.add(new Timer(atMs, kind, id, service, null));
    }

    void append(long atMs, String attemptId, io.dtm.protocol.log.TxnRecord record) {
        queue.add(new Timer(atMs, Kind.APPEND_RETRY, attemptId, null, record));
    }

    /** Removes and returns every timer due at {@code nowMs}. */
    List<Timer> due(long nowMs) {
        List<Timer> out = new ArrayList<>();
        while (!queue.isEmpty() && queue.peek().atMs() <= nowMs) {
            out.add(queue.poll());
        }
        return out;
    }

    /** When the next timer is due, or {@link Long#MAX_VALUE} when there is none. */
    long nextAtMs() {
        Timer next = queue.peek();
        return next == null ? Long.MAX_VALUE : next.atMs();
    }

    int size() {
        return queue.size();
    }
}
