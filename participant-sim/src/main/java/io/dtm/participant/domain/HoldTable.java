package io.dtm.participant.domain;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which prepared transactions hold which record keys. Lives only in memory: after a restart the
 * engine rebuilds it through {@link DomainService#restore}.
 *
 * <p>A hold is exclusive or shared. A request that names the version it read (optimistic
 * concurrency) holds its record alone: nothing else may change the record between its check and
 * its commit. A request without a version only moves an amount out of what is available (stock,
 * balance), which the service has already checked and set aside at PREPARE; such holds share the
 * record, as escrow does, so concurrent orders of one SKU or one account do not turn each other
 * away. A shared hold still keeps an exclusive one out, and the other way round.
 */
final class HoldTable {

    private final Map<String, String> exclusiveHolder = new HashMap<>();
    private final Map<String, Set<String>> sharedHolders = new HashMap<>();

    /**
     * A transaction other than {@code attemptId} whose hold on {@code key} keeps out a hold of the given
     * kind (a transaction never conflicts with itself); empty when the hold can be taken.
     */
    Optional<String> conflict(String key, String attemptId, boolean exclusive) {
        String holder = exclusiveHolder.get(key);
        if (holder != null && !holder.equals(attemptId)) {
            return Optional.of(holder);
        }
        if (exclusive) {
            Set<String> sharing = sharedHolders.get(key);
            if (sharing != null) {
                for (String other : sharing) {
                    if (!other.equals(attemptId)) {
                        return Optional.of(other);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Takes a hold; check {@link #conflict} first. */
    void take(String key, String attemptId, boolean exclusive) {
        if (exclusive) {
            exclusiveHolder.put(key, attemptId);
        } else {
            sharedHolders.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(attemptId);
        }
    }

    /** Releases {@code attemptId}'s hold on {@code key}, whichever kind, so a late release cannot free another's hold. */
    void release(String key, String attemptId) {
        exclusiveHolder.remove(key, attemptId);
        Set<String> sharing = sharedHolders.get(key);
        if (sharing != null && sharing.remove(attemptId) && sharing.isEmpty()) {
            sharedHolders.remove(key);
        }
    }

    /** Holds taken and not released: one per transaction and record. */
    int size() {
        int holds = exclusiveHolder.size();
        for (Set<String> sharing : sharedHolders.values()) {
            holds += sharing.size();
        }
        return holds;
    }
}
