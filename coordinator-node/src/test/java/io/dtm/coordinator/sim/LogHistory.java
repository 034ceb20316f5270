package io.dtm.coordinator.sim;

import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.AttemptId;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the simulation's checks need that the log forgets: which attempt ids were ever decided and
 * committed, which request first claimed each tid, which tids ran again beyond the log's memory,
 * and when each attempt ended in true time. Fed every record the log applies.
 */
final class LogHistory {
    private final TxnLogState log;
    private final List<String> alarms;
    private final long clockReportMs;
    private final Set<String> everDecided = new HashSet<>();
    private final Set<String> everBegun = new HashSet<>();
    private final Set<String> everCommitted = new HashSet<>();
    private final Map<String, Long> firstDigest = new HashMap<>();
    private final Set<String> rerunBeyondMemory = new HashSet<>();
    /** Attempt ids whose ABORT was marked forgotten (Decide.forgotten). */
    private final Set<String> marked = new HashSet<>();
    /** True time of each attempt's End (one whose outcome was retained). */
    private final Map<String, Long> endedAt = new HashMap<>();

    /** {@code alarms}: where a broken promise is reported; {@code clockReportMs}: how often members report their clocks. */
    LogHistory(TxnLogState log, List<String> alarms, long clockReportMs) {
        this.log = log;
        this.alarms = alarms;
        this.clockReportMs = clockReportMs;
    }

    /** Keeps what the log forgets: which attempt ids were decided, committed, ended when. */
    void remember(TxnRecord record, RecordResult result, long now) {
        RecordResult.Disposition disposition = result.getDisposition();
        if (record.hasBegin() && disposition == RecordResult.Disposition.DUPLICATE
                && record.getBegin().getAttemptId().endsWith("#1")) {
            // A Begin after an early ABORT (no Begin before it) claims the id for its request.
            String attempt = record.getBegin().getAttemptId();
            firstDigest.putIfAbsent(AttemptId.tidOf(attempt), record.getBegin().getRequestDigest());
        }
        if (disposition != RecordResult.Disposition.APPLIED) {
            return;
        }
        if (record.hasDecide() && record.getDecide().getForgotten()) {
            marked.add(record.getDecide().getAttemptId()); // a re-run's ABORT marked: its FORGOTTEN is no eviction
        }
        if (record.hasDecide()) {
            everDecided.add(record.getDecide().getAttemptId());
            if (record.getDecide().getOutcome() == Outcome.COMMIT) {
                everCommitted.add(record.getDecide().getAttemptId());
            }
        } else if (record.hasBegin()) {
            String attempt = record.getBegin().getAttemptId();
            everBegun.add(attempt);
            String tid = AttemptId.tidOf(attempt);
            if (attempt.endsWith("#1")) {
                firstDigest.putIfAbsent(tid, record.getBegin().getRequestDigest());
            }
            if (everDecided.contains(attempt)) {
                rerunBeyondMemory.add(tid); // decided before, and the log began it as new: it had no trace left
            }
        } else if (record.hasEnd() && result.getStatus() == TxnStatus.ENDED) {
            endedAt.putIfAbsent(record.getEnd().getAttemptId(), now); // the first run's End: what clients were told of
        }
    }

    /**
     * A client was told "no longer retained": where only age could have evicted the outcome (no
     * count bound to speak of), it must have ended at least maxAgeMs of true time ago (less the
     * few seconds LogClock allows). A clock hours ahead that moved log time would evict at once.
     */
    void checkRetentionKeptItsPromise(String tid, SubmitResult refusal, long now) {
        if (!outcomeLeftRetention(tid) && !rerunBeyondMemory.contains(tid)
                && log.stats().getForgottenIdsDropped() == 0) {
            // No decided attempt of the tid was ever forgotten, and the log knows it: the earlier run
            // the services speak of never reached the log. That is an ABORT, not a lost outcome.
            alarms.add(tid + " refused as no longer retained (" + refusal.getReason() + ") although the log never"
                    + " decided an attempt of it and still knows every id it decided");
        }
        TxnLogState.Retention retention = log.retention();
        if (retention.maxOutcomes() < 1_000_000) {
            return;
        }
        for (int n = 1; n <= TxnIds.MAX_ATTEMPTS; n++) {
            String attempt = AttemptId.format(tid, n);
            Long ended = endedAt.get(attempt);
            // Log time moves no faster than true time, give or take a member's lead, a report interval and its trip.
            if (ended != null && log.query(attempt).getStatus() != TxnStatus.ENDED
                    && now - ended < retention.maxAgeMs() - TxnLogState.CLOCK_MAX_AHEAD_MS - clockReportMs - 500) {
                alarms.add(tid + " refused as no longer retained (" + refusal.getReason() + ") although " + attempt
                        + " ended only " + (now - ended) + " ms ago (retention keeps " + retention.maxAgeMs()
                        + " ms): log time ran ahead of true time");
            }
        }
    }

    /** One of the tid's attempts was decided, its outcome not marked forgotten, and it left retention since. */
    private boolean outcomeLeftRetention(String tid) {
        for (int n = 1; n <= TxnIds.MAX_ATTEMPTS; n++) {
            String attempt = AttemptId.format(tid, n);
            TxnStatus status = log.query(attempt).getStatus();
            if (everDecided.contains(attempt) && !marked.contains(attempt)
                    && (status == TxnStatus.FORGOTTEN || status == TxnStatus.UNKNOWN)) {
                return true;
            }
        }
        return false;
    }

    /** The digest of the request whose Begin of {@code tid#1} the log applied first (0: none). */
    long firstDigest(String tid) {
        return firstDigest.getOrDefault(tid, 0L);
    }

    /** Whether the log ever applied a Begin of the attempt id. */
    boolean everBegun(String attemptId) {
        return everBegun.contains(attemptId);
    }

    /** Whether a COMMIT was ever applied for the attempt id (its outcome may have left the log since). */
    boolean everCommitted(String attemptId) {
        return everCommitted.contains(attemptId);
    }

    /** One of the tid's decided attempts was begun again as new: the log had no trace of it left. */
    boolean rerunBeyondMemory(String tid) {
        return rerunBeyondMemory.contains(tid);
    }
}
