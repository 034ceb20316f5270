package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link RecordWriter} for tests: keeps the changes since the last {@link #clearChanges()} and,
 * like the real store, the latest bytes of every key ever written.
 */
final class MemoryWriter implements RecordWriter {

    /** One reported change; {@code value} is null for a delete. */
    record Change(String key, MessageLite value) {
    }

    private final List<Change> changes = new ArrayList<>();
    private final Map<String, byte[]> store = new TreeMap<>();

    @Override
    public void put(String key, MessageLite value) {
        changes.add(new Change(key, value));
        store.put(key, value.toByteArray());
    }

    @Override
    public void delete(String key) {
        changes.add(new Change(key, null));
        store.remove(key);
    }

    List<Change> changes() {
        return List.copyOf(changes);
    }

    List<String> changedKeys() {
        return changes.stream().map(Change::key).toList();
    }

    void clearChanges() {
        changes.clear();
    }

    Map<String, byte[]> store() {
        return store;
    }

    /** Loads everything stored into {@code service}, as a restarted participant does. */
    void loadInto(DomainService service) throws InvalidProtocolBufferException {
        for (Map.Entry<String, byte[]> entry : store.entrySet()) {
            service.load(entry.getKey(), entry.getValue());
        }
    }
}
