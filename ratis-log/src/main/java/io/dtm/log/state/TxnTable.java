package io.dtm.log.state;

import io.dtm.protocol.AttemptId;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.Outcome;

import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the transaction table holds and how it is bounded; {@link TxnLogState} decides the
 * transitions, this class only stores them. It holds the attempts in flight (in Begin order), the
 * retained outcomes (in End order, which is also log-time order, so the oldest is at the head), the
 * fingerprints of ids whose outcome was dropped ({@link ForgottenIds}), and one copy of each
 * participant name and proposer, which repeat across millions of transactions.
 *
 * <p>Pure, not thread-safe; keyed by attempt id.
 */
final class TxnTable {

    private final TxnLogState.Retention retention;
    private final LinkedHashMap<String, InFlightTxn> inFlight = new LinkedHashMap<>();
    private final LinkedHashMap<String, RetainedOutcome> retained = new LinkedHashMap<>();
    private final ForgottenIds forgotten;
    private final Map<String, String> canonical = new HashMap<>();

    TxnTable(TxnLogState.Retention retention) {
        this.retention = retention;
        this.forgotten = new ForgottenIds(retention.maxForgotten());
    }

    InFlightTxn inFlight(String attemptId) {
        return inFlight.get(attemptId);
    }

    RetainedOutcome retained(String attemptId) {
        return retained.get(attemptId);
    }

    boolean isForgotten(String attemptId) {
        return forgotten.contains(attemptId);
    }

    /**
     * True while the table has never let go of a forgotten id: then it knows every id it ever
     * decided, and an id it does not know was never decided (RecordResult.never_decided).
     */
    boolean knowsEveryDecidedId() {
        return forgotten.dropped() == 0;
    }

    void begin(String attemptId, InFlightTxn txn) {
        inFlight.put(attemptId, txn);
    }

    void retain(String attemptId, RetainedOutcome outcome) {
        retained.put(attemptId, outcome);
    }

    void removeInFlight(String attemptId) {
        inFlight.remove(attemptId);
    }

    /** Drops whatever outcome of the id is retained and remembers the id as used. */
    void forget(String attemptId) {
        retained.remove(attemptId);
        forgotten.add(attemptId);
    }

    /** Forgets the oldest outcomes while there are more than retention allows or they are too old. */
    void evictExpired(long logTimeMs) {
        Iterator<Map.Entry<String, RetainedOutcome>> it = retained.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, RetainedOutcome> oldest = it.next();
            boolean tooMany = retained.size() > retention.maxOutcomes();
            boolean tooOld = logTimeMs - oldest.getValue().endedAtMs() > retention.maxAgeMs();
            if (!tooMany && !tooOld) {
                return;
            }
            forgotten.add(oldest.getKey());
            it.remove();
        }
    }

    /** Outcomes that ended at log time 0 (only ever at the head) take the first real log time. */
    void restampEndedAtZero(long logTimeMs) {
        for (Map.Entry<String, RetainedOutcome> e : retained.entrySet()) {
            RetainedOutcome o = e.getValue();
            if (o.endedAtMs() != 0) {
                return;
            }
            e.setValue(o.endedAt(logTimeMs));
        }
    }

    /** One shared copy of a participant name or proposer. */
    String canonical(String s) {
        if (s.isEmpty()) {
            return "";
        }
        // Bounded: participant names and proposers come from a handful of services and nodes; should
        // a misbehaving proposer send endless distinct names, stop interning rather than grow.
        if (canonical.size() >= 1024 && !canonical.containsKey(s)) {
            return s;
        }
        return canonical.computeIfAbsent(s, k -> k);
    }

    /** The ids in flight, in Begin order. */
    Set<String> inFlightIds() {
        return Collections.unmodifiableSet(inFlight.keySet());
    }

    /** Every id in flight or retained, sorted. Copies every id: not for a hot path. */
    NavigableSet<String> sortedIds() {
        TreeSet<String> ids = new TreeSet<>(inFlight.keySet());
        ids.addAll(retained.keySet());
        return ids;
    }

    int inFlightCount() {
        return inFlight.size();
    }

    int retainedCount() {
        return retained.size();
    }

    // --- snapshot support (SnapshotFormat) ---

    Iterable<Map.Entry<String, InFlightTxn>> inFlightEntries() {
        return Collections.unmodifiableMap(inFlight).entrySet();
    }

    Iterable<Map.Entry<String, RetainedOutcome>> retainedEntries() {
        return Collections.unmodifiableMap(retained).entrySet();
    }

    ForgottenIds forgottenIds() {
        return forgotten;
    }

    void restoreInFlight(String attemptId, String[] participants, long deadlineMs, long requestDigest, long runId,
            Outcome outcome, String reason, String proposer, boolean forgottenRun, boolean superseded) {
        for (int i = 0; i < participants.length; i++) {
            participants[i] = canonical(participants[i]);
        }
        InFlightTxn txn = new InFlightTxn(participants, deadlineMs, requestDigest, runId);
        if (outcome != Outcome.UNDECIDED) {
            txn.decide(outcome, reason, canonical(proposer), forgottenRun);
        }
        txn.superseded = superseded;
        inFlight.put(attemptId, txn);
    }

    void restoreRetained(String attemptId, Outcome outcome, String reason, String proposer, long endedAtMs,
            long requestDigest, boolean superseded) {
        retained.put(attemptId, new RetainedOutcome(outcome, reason, canonical(proposer), endedAtMs, requestDigest,
                superseded));
    }

    /**
     * Attempt {@code number} of {@code tid} begins (or ends without a Begin): its predecessor, if the
     * table holds it, is superseded. Returns whether a later attempt than {@code number} is known
     * (in flight, retained or forgotten), which supersedes the new one from the start; looked for
     * only when {@code searchLater}.
     */
    boolean attemptBegins(String tid, int number, boolean searchLater) {
        if (number > 1) {
            String previous = AttemptId.format(tid, number - 1);
            InFlightTxn txn = inFlight.get(previous);
            if (txn != null) {
                txn.superseded = true;
            }
            RetainedOutcome ended = retained.get(previous);
            if (ended != null && !ended.superseded()) {
                retained.put(previous, ended.asSuperseded()); // same key: its place in eviction order stays
            }
        }
        for (int n = number + 1; searchLater && n <= TxnIds.MAX_ATTEMPTS; n++) {
            String later = AttemptId.format(tid, n);
            if (inFlight.containsKey(later) || retained.containsKey(later) || forgotten.contains(later)) {
                return true;
            }
        }
        return false;
    }
}
