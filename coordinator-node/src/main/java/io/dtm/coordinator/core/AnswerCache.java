package io.dtm.coordinator.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answers of finished transactions, kept for resubmissions (at most {@code resultCacheSize},
 * the oldest leave first). A resubmit it cannot answer goes to the log.
 */
final class AnswerCache {
    /**
     * One answer, serialised: 267 B instead of an object graph of 683 (CoordinatorCoreFootprintTest),
     * and one object for the collector to trace instead of dozens, in what was most of the leader's
     * old generation.
     */
    record Kept(long digest, byte[] result) {
        SubmitResult answer() {
            try {
                return SubmitResult.parseFrom(result);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("a kept answer does not parse", e);
            }
        }
    }

    private final LinkedHashMap<String, Kept> kept;

    AnswerCache(int capacity) {
        this.kept = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Kept> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The answer kept for {@code tid}, or null. */
    Kept find(String tid) {
        return kept.get(tid);
    }

    void keep(String tid, long digest, SubmitResult result) {
        kept.put(tid, new Kept(digest, result.toByteArray()));
    }
}
