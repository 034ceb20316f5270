package io.dtm.participant.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecordCacheTest {

    /** The "store" behind the cache, and every key read from it. */
    private final Map<String, String> store = new HashMap<>();
    private final List<String> reads = new ArrayList<>();
    private final RecordCache<String, String> cache = new RecordCache<>(2, id -> {
        reads.add(id);
        return store.get(id);
    });

    @Test
    void nothingIsEvictedBeforeTheBatchBoundaryThenTheLeastRecentlyUsedGoFirst() {
        cache.put("a", "1");
        cache.put("b", "2");
        cache.put("c", "3");
        cache.get("a");
        cache.put("d", "4");

        assertThat(cache.size()).as("over capacity within the batch").isEqualTo(4);
        assertThat(cache.get("b")).isEqualTo("2");
        assertThat(reads).as("within the batch everything is in memory").isEmpty();

        cache.endBatch();

        assertThat(cache.size()).isEqualTo(2);
        List<String> kept = new ArrayList<>();
        cache.forEach((id, value) -> kept.add(id));
        assertThat(kept).as("d and b were used last, least recent first").containsExactly("d", "b");
    }

    @Test
    void aMissReadsThroughOnceAndKeepsWhatItFound() {
        store.put("x", "stored");

        assertThat(cache.get("x")).isEqualTo("stored");
        assertThat(cache.get("x")).isEqualTo("stored");

        assertThat(reads).containsExactly("x");
    }

    @Test
    void aRecordNotInTheStoreIsReadOncePerBatch() {
        assertThat(cache.get("never")).isNull();
        assertThat(cache.get("never")).isNull();
        assertThat(reads).as("the miss is remembered within the batch").containsExactly("never");
        List<String> visited = new ArrayList<>();
        cache.forEach((id, value) -> visited.add(id));
        assertThat(visited).as("a miss is not a record, nor a deletion to write").isEmpty();

        cache.endBatch();
        store.put("never", "written by someone else after the boundary");

        assertThat(cache.size()).as("the miss is forgotten at the boundary").isZero();
        assertThat(cache.get("never")).isEqualTo("written by someone else after the boundary");
        assertThat(reads).containsExactly("never", "never");
    }

    @Test
    void aRecordWrittenAfterAMissIsSeen() {
        assertThat(cache.get("new")).isNull();
        cache.put("new", "1");

        assertThat(cache.get("new")).isEqualTo("1");
        cache.endBatch();
        assertThat(cache.get("new")).as("kept past the boundary like any record written").isEqualTo("1");
        assertThat(reads).containsExactly("new");
    }

    @Test
    void aDeletionHidesTheStoredRecordUntilTheBoundary() {
        store.put("x", "old");
        cache.get("x");
        cache.delete("x");
        cache.put("y", "1");
        cache.put("z", "2");

        assertThat(cache.get("x")).as("the store still has it, but it is deleted").isNull();
        assertThat(reads).containsExactly("x");
        List<String> visited = new ArrayList<>();
        cache.forEach((id, value) -> visited.add(id + "=" + value));
        assertThat(visited).as("least recently used first").containsExactly("y=1", "z=2", "x=null");

        store.remove("x"); // the batch is written
        cache.endBatch();

        assertThat(cache.size()).as("the deletion is forgotten, not counted against the capacity").isEqualTo(2);
        assertThat(cache.get("x")).isNull();
        assertThat(reads).containsExactly("x", "x");
    }

    @Test
    void aRecordWrittenAfterItsDeletionStays() {
        cache.delete("x");
        cache.put("x", "again");
        cache.endBatch();

        assertThat(cache.get("x")).isEqualTo("again");
        assertThat(reads).isEmpty();
    }

    @Test
    void aCacheHoldsAtLeastOneRecord() {
        assertThatThrownBy(() -> new RecordCache<String, String>(0, id -> null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
