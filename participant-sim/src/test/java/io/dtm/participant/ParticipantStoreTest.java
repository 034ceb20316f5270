package io.dtm.participant;

import io.dtm.participant.domain.MemoryWriter;
import io.dtm.participant.domain.RecordReader;
import io.dtm.participant.domain.RecordWriter;
import io.dtm.participant.store.Seeded;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Reading the store back: point lookups and prefix scans over RocksDB, and the same answers from
 * the in-memory double the domain tests use.
 */
class ParticipantStoreTest {
    @TempDir
    Path dir;

    private ParticipantStore store;

    @BeforeEach
    void open() throws IOException {
        store = ParticipantStore.open(dir);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Seeded value(long n) {
        return Seeded.newBuilder().setAtMs(n).build();
    }

    /** Writes the same keys to the store and to a memory double, and returns both as readers. */
    private List<RecordReader> readersHolding(Consumer<RecordWriter> writes) throws IOException {
        ParticipantStore.Batch batch = new ParticipantStore.Batch();
        writes.accept(batch);
        store.write(batch);
        MemoryWriter memory = new MemoryWriter();
        writes.accept(memory);
        return List.of(store, memory);
    }

    private static void someKeys(RecordWriter out) {
        for (String key : List.of("tx", "txn", "txn/c", "txn/a", "txn/b", "txo/x", "meta/counters", "prep/a", "txn/gone")) {
            out.put(key, value(key.length()));
        }
        out.delete("txn/gone");
    }

    private static List<String> keys(List<RecordReader.Entry> entries) {
        return entries.stream().map(RecordReader.Entry::key).toList();
    }

    @Test
    void aBatchWritesOnlyTheLastChangeOfEachKey() throws Exception {
        ParticipantStore.Batch batch = new ParticipantStore.Batch();
        batch.put("rec/day/1", value(1));
        batch.put("rec/day/1", value(2));
        batch.put("txn/gone", value(3));
        batch.delete("txn/gone");
        batch.delete("txn/back");
        batch.put("txn/back", value(4));
        assertThat(batch.size()).as("one change per key").isEqualTo(3);

        ParticipantStore.Batch before = new ParticipantStore.Batch();
        before.put("txn/gone", value(9));
        before.put("txn/back", value(9));
        store.write(before);
        store.write(batch);

        assertThat(Seeded.parseFrom(store.get("rec/day/1"))).isEqualTo(value(2));
        assertThat(store.get("txn/gone")).as("put then delete: deleted").isNull();
        assertThat(Seeded.parseFrom(store.get("txn/back"))).as("delete then put: put").isEqualTo(value(4));
    }

    @Test
    void aBatchReachesRocksDbInKeyOrder() throws Exception {
        ParticipantStore.Batch batch = new ParticipantStore.Batch();
        batch.put("txn/t2", value(1));
        batch.put("rec/day/7", value(2));
        batch.delete("prep/t1");
        batch.put("txn/t1", value(3));
        batch.put("prep/t2", value(4));

        assertThat(batch.keysInWriteOrder()).containsExactly("prep/t1", "prep/t2", "rec/day/7", "txn/t1", "txn/t2");
    }

    @Test
    void theSerialisedBatchIsByteForByteWhatRocksJavaBuildsKeyByKey() throws Exception {
        ParticipantStore.Batch batch = new ParticipantStore.Batch();
        batch.put("txn/t-1#1", value(1));
        batch.put("rec/day/2027-01-05", Seeded.getDefaultInstance()); // an empty value
        batch.put("rec/big", Seeded.newBuilder().setAtMs(Long.MIN_VALUE).build());
        batch.put("txn/" + "x".repeat(300), value(Long.MAX_VALUE)); // a key whose length takes two varint bytes
        batch.put("txn/größe-1#1", value(7)); // UTF-8 beyond ASCII
        batch.delete("rec/order/o-1");
        batch.deleteSinglePut("prep/t-0#1");

        try (org.rocksdb.WriteBatch expected = new org.rocksdb.WriteBatch()) {
            for (String key : batch.keysInWriteOrder()) {
                byte[] k = key.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                switch (key) {
                    case "rec/order/o-1" -> expected.delete(k);
                    case "prep/t-0#1" -> expected.singleDelete(k);
                    case "rec/day/2027-01-05" -> expected.put(k, new byte[0]);
                    case "rec/big" -> expected.put(k, Seeded.newBuilder().setAtMs(Long.MIN_VALUE).build().toByteArray());
                    case "txn/t-1#1" -> expected.put(k, value(1).toByteArray());
                    case "txn/größe-1#1" -> expected.put(k, value(7).toByteArray());
                    default -> expected.put(k, value(Long.MAX_VALUE).toByteArray());
                }
            }
            assertThat(batch.serialized()).isEqualTo(expected.data());
        }
    }

    @Test
    void aSinglePutDeleteRemovesTheKeyItsBatchOrAnEarlierOnePut() throws Exception {
        ParticipantStore.Batch first = new ParticipantStore.Batch();
        first.put("prep/a", value(1));
        first.put("prep/b", value(2));
        store.write(first);
        ParticipantStore.Batch second = new ParticipantStore.Batch();
        second.deleteSinglePut("prep/a");
        second.put("prep/c", value(3));
        second.deleteSinglePut("prep/c"); // put and removed in one batch: only the delete is written
        store.write(second, false);

        assertThat(store.get("prep/a")).isNull();
        assertThat(store.get("prep/c")).isNull();
        assertThat(Seeded.parseFrom(store.get("prep/b"))).isEqualTo(value(2));
        assertThat(keys(store.scan("prep/", "", 10))).containsExactly("prep/b");
    }

    @Test
    void getReadsTheLatestValueAndNullForAKeyNeverWrittenOrDeleted() throws Exception {
        for (RecordReader reader : readersHolding(ParticipantStoreTest::someKeys)) {
            assertThat(Seeded.parseFrom(reader.get("txn/a"))).isEqualTo(value(5));
            assertThat(reader.get("txn/never")).isNull();
            assertThat(reader.get("txn/gone")).isNull();
        }
    }

    @Test
    void aScanListsOnlyItsPrefixStrictlyAfterTheGivenKeyInKeyOrderUpToTheLimit() throws Exception {
        for (RecordReader reader : readersHolding(ParticipantStoreTest::someKeys)) {
            assertThat(keys(reader.scan("txn/", "txn/", 10))).as("from the start")
                    .containsExactly("txn/a", "txn/b", "txn/c");
            assertThat(keys(reader.scan("txn/", "", 10))).as("a key before the prefix: from the start")
                    .containsExactly("txn/a", "txn/b", "txn/c");
            assertThat(keys(reader.scan("txn/", "txn/a", 10))).containsExactly("txn/b", "txn/c");
            assertThat(keys(reader.scan("txn/", "txn/aa", 1))).containsExactly("txn/b");
            assertThat(keys(reader.scan("txn/", "txn/c", 10))).isEmpty();
            assertThat(keys(reader.scan("prep/", "prep/", 10))).containsExactly("prep/a");
            assertThat(keys(reader.scan("nothing/", "nothing/", 10))).isEmpty();
            assertThat(Seeded.parseFrom(reader.scan("txo/", "txo/", 1).get(0).value())).isEqualTo(value(5));
        }
    }

    @Test
    void forEachVisitsEveryKeyOfThePrefixAcrossPages() throws Exception {
        for (RecordReader reader : readersHolding(out -> {
            for (int i = 0; i < 2_500; i++) {
                out.put(String.format("rec/sku/%05d", i), value(i));
            }
            out.put("rec/sku", value(-1));
            out.put("rec/skv/0", value(-1));
        })) {
            List<String> seen = new ArrayList<>();
            reader.forEach("rec/sku/", (key, bytes) -> seen.add(key));
            assertThat(seen).hasSize(2_500).isSorted().startsWith("rec/sku/00000").endsWith("rec/sku/02499");
        }
    }

    @Test
    void theTablesCarryBloomFilters() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            Path options = files.filter(f -> f.getFileName().toString().startsWith("OPTIONS-")).findFirst().orElseThrow();
            assertThat(Files.readString(options)).containsPattern("filter_policy=.*[Bb]loom");
        }
    }
}
