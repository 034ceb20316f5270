package io.dtm.participant.domain;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Which prepared transaction holds which record key. Lives only in memory: after a restart the
 * engine rebuilds it through {@link DomainService#restore}.
 */
final class HoldTable {

    private final Map<String, String> holderByKey = new HashMap<>();

    /** The transaction other than {@code tid} holding {@code key}: a transaction never conflicts with itself. */
    Optional<String> otherHolder(String key, String tid) {
        String holder = holderByKey.get(key);
        return holder == null || holder.equals(tid) ? Optional.empty() : Optional.of(holder);
    }

    void take(String key, String tid) {
        holderByKey.put(key, tid);
    }

    /** Releases {@code key} only if {@code tid} holds it, so a late release cannot free another's hold. */
    void release(String key, String tid) {
        holderByKey.remove(key, tid);
    }

    int size() {
        return holderByKey.size();
    }
}
