package io.dtm.jepsen.check;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The replicas agree: every node's log holds the same outcome for every attempt. */
public final class AgreementChecker {
    public static final String NAME = "agreement";

    private AgreementChecker() {
    }

    /** @param nodes every node of the cluster; one that could not be read makes the result unknown */
    public static CheckResult check(Observed observed, Set<String> nodes) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        Set<String> attempts = new TreeSet<>();
        observed.logs().values().forEach(log -> attempts.addAll(log.keySet()));
        for (String attempt : attempts) {
            Map<String, String> outcomes = new TreeMap<>();
            observed.logs().forEach((node, log) -> outcomes.put(node, log.getOrDefault(attempt, "NONE")));
            if (new TreeSet<>(outcomes.values()).size() > 1) {
                result.problem(attempt + ": the replicas disagree: " + outcomes);
            }
        }
        Set<String> unread = new TreeSet<>(nodes);
        unread.removeAll(observed.logs().keySet());
        if (!unread.isEmpty()) {
            result.unknown("not read: " + unread);
        }
        return result.build(Map.of("attempts", attempts.size(), "nodesRead", observed.logs().size()));
    }
}
