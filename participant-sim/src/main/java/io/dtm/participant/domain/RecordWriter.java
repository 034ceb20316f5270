package io.dtm.participant.domain;

import com.google.protobuf.MessageLite;

/**
 * Collects the changes one message makes to durable state. The engine writes everything a batch
 * of messages collected in one synced write before any of their replies leaves the process.
 */
public interface RecordWriter {
    void put(String key, MessageLite value);

    void delete(String key);
}
