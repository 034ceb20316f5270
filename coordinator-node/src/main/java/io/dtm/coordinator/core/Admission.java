package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * Who gets in. Only transactions still waiting for their answer count against {@code maxInFlight}:
 * answered ones finishing phase 2 hold no client and must not starve new work when one participant
 * stops acknowledging. Their memory is bounded per service instead: past {@code maxInFlight} decided
 * attempts waiting for one service, new transactions that need it are turned away (the others run).
 */
final class Admission {
    private final int maxInFlight;
    /** Transactions whose answer is still to come. */
    private int unanswered;
    /** Per service, the attempts waiting for its COMMIT, ROLLBACK or fence acknowledgement. */
    private final Map<ServiceName, Integer> waitingFor = new EnumMap<>(ServiceName.class);

    Admission(int maxInFlight) {
        this.maxInFlight = maxInFlight;
    }

    /** Why {@code request} cannot be taken now, or empty. */
    Optional<String> refusal(TxnRequest request) {
        if (unanswered >= maxInFlight) {
            return Optional.of("overloaded: " + unanswered + " transactions waiting for their outcome (at most "
                    + maxInFlight + "); retry later");
        }
        for (ServiceName service : request.prepares().keySet()) {
            int backlog = waitingFor.getOrDefault(service, 0);
            if (backlog >= maxInFlight) {
                return Optional.of("overloaded: " + service.id() + " has not acknowledged the outcome of " + backlog
                        + " decided transactions; retry later");
            }
        }
        return Optional.empty();
    }

    /** A transaction that will need an answer (taken, or recovered from the log). */
    void taken() {
        unanswered++;
    }

    void answered() {
        unanswered--;
    }

    /** Phase 2 (or a fence) now waits for {@code service}'s acknowledgement of {@code attempt}. */
    void awaitAck(Attempt attempt, ServiceName service) {
        if (attempt.awaitingAck.add(service)) {
            waitingFor.merge(service, 1, Integer::sum);
        }
    }

    void acked(Attempt attempt, ServiceName service) {
        if (attempt.awaitingAck.remove(service)) {
            waitingFor.merge(service, -1, Integer::sum);
        }
    }
}
