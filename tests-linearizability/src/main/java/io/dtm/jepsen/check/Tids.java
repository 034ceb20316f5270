package io.dtm.jepsen.check;

import io.dtm.protocol.AttemptId;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Per tid, what the cluster holds: attempts and their states, regrouped from attempt ids. */
final class Tids {
    private Tids() {
    }

    /** service → tid → attempt id → local state. */
    static Map<String, Map<String, Map<String, String>>> participantAttempts(Observed observed) {
        Map<String, Map<String, Map<String, String>>> out = new TreeMap<>();
        observed.participants().forEach((service, states) -> {
            Map<String, Map<String, String>> byTid = new TreeMap<>();
            states.forEach((attempt, state) -> byTid.computeIfAbsent(AttemptId.tidOf(attempt), t -> new TreeMap<>())
                    .put(attempt, state));
            out.put(service, byTid);
        });
        return out;
    }

    /** The attempts of {@code tid} committed at any service. */
    static Set<String> committedAtParticipants(String tid, Map<String, Map<String, Map<String, String>>> attempts) {
        Set<String> committed = new TreeSet<>();
        for (Map<String, Map<String, String>> byTid : attempts.values()) {
            byTid.getOrDefault(tid, Map.of()).forEach((attempt, state) -> {
                if (Observed.COMMITTED.equals(state)) {
                    committed.add(attempt);
                }
            });
        }
        return committed;
    }

    /** The attempts of {@code tid} that any node's log holds as COMMIT. */
    static Set<String> committedInLog(String tid, Observed observed) {
        Set<String> committed = new TreeSet<>();
        for (Map<String, String> log : observed.logs().values()) {
            log.forEach((attempt, outcome) -> {
                if (Observed.COMMIT.equals(outcome) && AttemptId.tidOf(attempt).equals(tid)) {
                    committed.add(attempt);
                }
            });
        }
        return committed;
    }

    /** Every tid with an attempt that some service holds committed. */
    static Set<String> committedAtAnyService(Observed observed) {
        Set<String> tids = new TreeSet<>();
        observed.participants().values().forEach(states -> states.forEach((attempt, state) -> {
            if (Observed.COMMITTED.equals(state)) {
                tids.add(AttemptId.tidOf(attempt));
            }
        }));
        return tids;
    }

    /** Every tid that some node's log holds a COMMIT for. */
    static Set<String> committedTids(Observed observed) {
        Set<String> tids = new TreeSet<>();
        for (Map<String, String> log : observed.logs().values()) {
            log.forEach((attempt, outcome) -> {
                if (Observed.COMMIT.equals(outcome)) {
                    tids.add(AttemptId.tidOf(attempt));
                }
            });
        }
        return tids;
    }
}
