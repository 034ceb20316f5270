package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The open invariant violations, in the order they were found; each keeps its attempt unfinished. */
final class Violations {
    private final Map<String, Violation> open = new LinkedHashMap<>();
    /** Bumped on every change: the runtime copies the list out only then. */
    private int version;

    /** Records one; true when it is new (and so worth an alarm). */
    boolean record(Attempt attempt, ServiceName service, String message, long nowMs) {
        String key = attempt.attemptId + " " + service.id();
        if (open.containsKey(key)) {
            return false;
        }
        open.put(key, new Violation(attempt.attemptId, service, message, nowMs));
        version++;
        return true;
    }

    /** The participant now acknowledges what the log says. */
    void clear(String attemptId, ServiceName service) {
        if (open.remove(attemptId + " " + service.id()) != null) {
            version++;
        }
    }

    List<Violation> list() {
        return List.copyOf(open.values());
    }

    int version() {
        return version;
    }
}
