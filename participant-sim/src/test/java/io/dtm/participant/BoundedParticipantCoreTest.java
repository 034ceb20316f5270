package io.dtm.participant;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.participant.domain.DomainService;
import io.dtm.participant.domain.DomainServices;
import io.dtm.participant.domain.InventoryService;
import io.dtm.participant.domain.MemoryWriter;
import io.dtm.participant.domain.OrderService;
import io.dtm.participant.domain.RecordReader;
import io.dtm.participant.store.Counters;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.ListTxns;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Query;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.participant.Inspect;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static io.dtm.participant.ParticipantCoreTest.commit;
import static io.dtm.participant.ParticipantCoreTest.prepare;
import static io.dtm.participant.ParticipantCoreTest.rollback;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transaction table and the services with tiny caches (two records each): whatever was evicted
 * is read back from the store, and every answer is the one a table that keeps everything in memory
 * gives. Messages are handled in batches, as the engine does: a batch's changes reach the store
 * only once the batch is over.
 */
class BoundedParticipantCoreTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final int CAPACITY = 2;

    /** The store the core reads back from. */
    private final MemoryWriter disk = new MemoryWriter();
    /** The current batch: written to {@link #disk} at its end. */
    private final MemoryWriter batch = new MemoryWriter();
    private ParticipantCore core;

    private void start(DomainService service) {
        start(service, disk);
    }

    /** Starts as the server does: what stays in memory from the store, then the startup batch. */
    private void start(DomainService service, RecordReader store) {
        core = new ParticipantCore(service, store, CAPACITY);
        try {
            core.loadResident();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        core.finishLoading(NOW, batch);
        batch.writeTo(disk);
    }

    /** A restart on {@link #disk}: returns the key prefixes it read and checks that it had nothing to write. */
    private Set<String> restart(ServiceName name) {
        Set<String> scanned = new TreeSet<>();
        RecordReader watched = new RecordReader() {
            @Override
            public byte[] get(String key) {
                return disk.get(key);
            }

            @Override
            public List<Entry> scan(String prefix, String after, int limit) {
                scanned.add(prefix);
                return disk.scan(prefix, after, limit);
            }
        };
        core = new ParticipantCore(DomainServices.create(name, watched, CAPACITY), watched, CAPACITY);
        try {
            core.loadResident();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        core.finishLoading(NOW, batch);
        assertThat(core.start()).isEqualTo(ParticipantCore.Start.LOADED);
        assertThat(batch.changes()).as("a plain restart writes nothing").isEmpty();
        return scanned;
    }

    private ParticipantResponse send(ParticipantRequest request) {
        return core.handle(request, NOW, false, batch);
    }

    /** The engine's boundary: the core is told, then the batch is written. */
    private void endBatch() {
        core.endBatch(batch);
        batch.writeTo(disk);
    }

    /** A message in a batch of its own. */
    private ParticipantResponse alone(ParticipantRequest request) {
        ParticipantResponse response = send(request);
        endBatch();
        return response;
    }

    /**
     * Enough new transactions (committed, with a record each), each in a batch of its own, to push
     * everything before out of the caches.
     */
    private void evictEverything() {
        for (int i = 0; i < 3 * CAPACITY; i++) {
            String tid = "filler-" + fillers++;
            ParticipantRequest prepare = switch (core.service().name()) {
                case ORDER -> order(tid, "o-" + tid);
                case SHIPPING -> shipment(tid, "o-" + tid);
                default -> prepare(tid, InventoryService.skuId(500 + fillers % 100), 1);
            };
            assertThat(alone(prepare).getVote().getYes()).isTrue();
            alone(commit(tid));
        }
    }

    private int fillers;

    static ParticipantRequest order(String tid, String orderId) {
        return ParticipantRequest.newBuilder().setPrepare(Prepare.newBuilder().setAttemptId(tid)
                .setOrder(OrderRequest.newBuilder().setOrderId(orderId).setCustomer("c-1")
                        .addLines(OrderLine.newBuilder().setSku("sku-0001").setQty(2).setPriceCents(1000))
                        .addLines(OrderLine.newBuilder().setSku("sku-0002").setQty(1).setPriceCents(2500)))).build();
    }

    static ParticipantRequest shipment(String tid, String orderId) {
        return ParticipantRequest.newBuilder().setPrepare(Prepare.newBuilder().setAttemptId(tid)
                .setShipping(ShippingRequest.newBuilder().setOrderId(orderId).setDate("2030-06-0" + (1 + orderId.length() % 3))
                        .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield").setZip("12345")
                                .setCountry("US")))).build();
    }

    private int readsOfTheStore(Runnable action) {
        int before = disk.gets();
        action.run();
        return disk.gets() - before;
    }

    @Test
    void duplicatesOfEvictedTransactionsGetTheirFirstAnswers() {
        start(new InventoryService());
        Vote yes = alone(prepare("yes", "sku-0001", 2)).getVote();
        Vote no = alone(prepare("no", "sku-9999", 1)).getVote();
        alone(prepare("committed", "sku-0002", 1));
        alone(commit("committed"));
        alone(prepare("rolled-back", "sku-0003", 1));
        alone(rollback("rolled-back"));
        evictEverything();
        var totals = core.service().totals();
        var states = core.inspect(NOW).getStatesMap();

        List<ParticipantResponse> again = new ArrayList<>();
        int reads = readsOfTheStore(() -> {
            again.add(alone(prepare("yes", "sku-0001", 2)));
            again.add(alone(prepare("no", "sku-9999", 1)));
            again.add(alone(commit("committed")));
            again.add(alone(rollback("rolled-back")));
            again.add(alone(rollback("no")));
            again.add(alone(commit("rolled-back")));
        });

        assertThat(reads).as("they were read back from the store").isGreaterThanOrEqualTo(4);
        assertThat(again.get(0).getVote()).isEqualTo(yes);
        assertThat(again.get(1).getVote()).isEqualTo(no);
        assertThat(again.get(2).getAck().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(again.get(3).getAck().getState()).isEqualTo(LocalState.ROLLED_BACK);
        assertThat(again.get(4).getAck().getState()).isEqualTo(LocalState.VOTED_NO);
        assertThat(ErrorCode.of(again.get(5).getError())).isEqualTo(ErrorCode.CONFLICT);
        assertThat(core.service().totals()).as("a duplicate changes nothing").isEqualTo(totals);
        assertThat(core.inspect(NOW).getStatesMap()).isEqualTo(states);
        assertThat(core.protocolErrors()).isEqualTo(1);
    }

    @Test
    void anEvictedTombstoneStillMakesALatePrepareVoteNo() {
        start(new InventoryService());
        alone(rollback("late"));
        evictEverything();
        long reserved = core.service().totals().get("reserved");

        Vote vote = alone(prepare("late", "sku-0001", 1)).getVote();

        assertThat(vote.getCode()).isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
        assertThat(core.service().totals().get("reserved")).isEqualTo(reserved);
        assertThat(core.localTxn("late").getState()).isEqualTo(LocalState.ROLLED_BACK);
    }

    @Test
    void anEvictedPreparedTransactionIsStillInDoubtDescribedAndCommitted() {
        start(new OrderService(disk, CAPACITY));
        core.handle(order("p", "o-p"), NOW - 10_000, false, batch);
        endBatch();
        evictEverything();

        assertThat(readsOfTheStore(() -> {
            assertThat(core.preparedSince(NOW - 5_000)).containsExactly(new ParticipantCore.InDoubt("p", 0));
            assertThat(core.stateOf("p")).contains(LocalState.PREPARED);
            assertThat(core.localTxn("p").getEffectsList()).containsExactly("order o-p (2 lines, 4500 cents)");
        })).as("the transaction and its order were read back").isGreaterThanOrEqualTo(2);
        endBatch();
        evictEverything();

        assertThat(alone(commit("p")).getAck().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(core.preparedSince(NOW)).extracting(ParticipantCore.InDoubt::attemptId).doesNotContain("p");
        assertThat(core.service().totals()).containsEntry("confirmed", 6L * CAPACITY + 1).containsEntry("pending", 0L);
        assertThat(alone(order("other", "o-p")).getVote().getCode()).isEqualTo(VoteCode.DUPLICATE_ORDER);
    }

    @Test
    void withinABatchTheCachesHoldEverythingItChangedWhateverTheirCapacity() {
        start(new OrderService(disk, CAPACITY));
        Vote first = alone(order("first", "o-1")).getVote();

        // One batch: the order is deleted (the store still holds it), its id reused, and far more
        // transactions than the caches hold come and go.
        assertThat(send(rollback("first")).getAck().getState()).isEqualTo(LocalState.ROLLED_BACK);
        Vote reuse = send(order("second", "o-1")).getVote();
        for (int i = 0; i < 4 * CAPACITY; i++) {
            send(order("filler-" + i, "o-filler-" + i));
        }
        Vote again = send(order("second", "o-1")).getVote();
        Vote late = send(order("first", "o-1")).getVote();
        var list = send(ParticipantRequest.newBuilder().setListTxns(ListTxns.newBuilder()).build()).getTxnList();
        endBatch();

        assertThat(reuse.getYes()).as("the deleted order is not read back from the store").isTrue();
        assertThat(again).isEqualTo(reuse);
        assertThat(first.getYes()).isTrue();
        assertThat(late.getCode()).as("a duplicate of the rolled-back transaction: its YES is void")
                .isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
        assertThat(list.getTxnsCount()).as("the whole batch is listed before it is written").isEqualTo(4 * CAPACITY + 2);
        assertThat(alone(order("third", "o-1")).getVote().getMessage()).contains("transaction second");
        assertThat(core.inspect(NOW).getStatesMap()).containsEntry("PREPARED", 4L * CAPACITY + 1)
                .containsEntry("ROLLED_BACK", 1L);
    }

    /**
     * A random run of every kind of message, duplicates, tombstones, lists and inspections among
     * them, in random batches: a bounded table answers every message as an unbounded one does.
     */
    @ParameterizedTest
    @EnumSource(value = ServiceName.class, names = {"INVENTORY", "ORDER", "SHIPPING"})
    void everyAnswerIsTheOneAnUnboundedTableGives(ServiceName name) {
        start(DomainServices.create(name, disk, CAPACITY));
        ParticipantCore unbounded = new ParticipantCore(DomainServices.create(name));
        MemoryWriter unboundedDisk = new MemoryWriter();
        unbounded.finishLoading(NOW, unboundedDisk);
        Random random = new Random(name.ordinal() + 42);
        int evicted = 0;

        for (int i = 0; i < 3_000; i++) {
            ParticipantRequest request = randomMessage(name, random);
            int reads = disk.gets();
            ParticipantResponse expected = unbounded.handle(request, NOW, false, unboundedDisk);
            assertThat(send(request)).as("message %d: %s", i, request).isEqualTo(expected);
            evicted += disk.gets() - reads;
            if (random.nextInt(4) == 0) {
                endBatch();
            }
        }
        endBatch();

        assertThat(evicted).as("records were read back from the store").isGreaterThan(100);
        assertThat(core.inspect(NOW)).isEqualTo(unbounded.inspect(NOW));
        assertThat(core.service().totals()).isEqualTo(unbounded.service().totals());
        assertThat(core.inspect(NOW).getStatesMap().values().stream().mapToLong(Long::longValue).sum())
                .as("every transaction is counted once").isEqualTo(disk.scan("txn/", "txn/", 10_000).size());
        for (int limit : new int[] {1, 7, 0}) {
            String after = "";
            do {
                var page = core.list(after, limit);
                assertThat(page).isEqualTo(unbounded.list(after, limit));
                after = page.getNext();
            } while (!after.isEmpty());
        }
    }

    /**
     * A random run restarted from the store halfway (and again at the end), against an unbounded
     * table that never restarts: the restart reads only what stays in memory, and brings back the
     * prepared transactions (with their holds and ages) and every count.
     */
    @ParameterizedTest
    @EnumSource(value = ServiceName.class, names = {"INVENTORY", "ORDER", "SHIPPING"})
    void aRestartReadsOnlyWhatStaysInMemoryAndChangesNoAnswer(ServiceName name) {
        start(DomainServices.create(name, disk, CAPACITY));
        ParticipantCore unbounded = new ParticipantCore(DomainServices.create(name));
        MemoryWriter unboundedDisk = new MemoryWriter();
        unbounded.finishLoading(NOW, unboundedDisk);
        Random random = new Random(name.ordinal() + 7);
        long now = NOW;

        for (int i = 0; i < 4_000; i++) {
            now += 1 + random.nextInt(3); // prepared ages differ
            if (i % 2_000 == 1_999) {
                endBatch();
                long prepared = core.inspect(now).getStatesMap().get("PREPARED");
                Set<String> scanned = restart(name);

                List<String> resident = new ArrayList<>(List.of("meta/", "prep/"));
                resident.addAll(core.service().residentPrefixes());
                assertThat(scanned).as("only what stays in memory").containsExactlyInAnyOrderElementsOf(resident);
                assertThat(prepared).as("transactions were left prepared").isPositive();
                assertThat(core.inspect(now)).isEqualTo(unbounded.inspect(now));
            }
            ParticipantRequest request = randomMessage(name, random);
            ParticipantResponse expected = unbounded.handle(request, now, false, unboundedDisk);
            assertThat(core.handle(request, now, false, batch)).as("message %d: %s", i, request).isEqualTo(expected);
            if (random.nextInt(4) == 0) {
                endBatch();
            }
        }
        assertThat(core.inspect(now)).isEqualTo(unbounded.inspect(now));
    }

    /**
     * A store written before the prepared index and the persisted counts (as the previous version
     * wrote it): the first start reads every transaction once and writes the index and the counts;
     * the next one reads only what stays in memory again. Nothing answers differently.
     */
    @ParameterizedTest
    @EnumSource(value = ServiceName.class, names = {"INVENTORY", "ORDER"})
    void aStoreWrittenBeforeThePreparedIndexIsUpgradedOnce(ServiceName name) throws Exception {
        ParticipantCore unbounded = new ParticipantCore(DomainServices.create(name));
        MemoryWriter unboundedDisk = new MemoryWriter();
        unbounded.finishLoading(NOW, unboundedDisk);
        Random random = new Random(name.ordinal() + 99);
        long now = NOW;
        List<ParticipantRequest> rest = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            ParticipantRequest request = randomMessage(name, random);
            if (i < 2_000) {
                unbounded.handle(request, now += 1 + random.nextInt(3), false, unboundedDisk);
            } else {
                rest.add(request);
            }
        }
        // The old layout: no prep/, no stored counts but the protocol errors, no order totals.
        unboundedDisk.store().forEach((key, value) -> {
            if (key.startsWith("prep/") || key.startsWith("rec/totals/")) {
                return;
            }
            if (key.equals("meta/counters")) {
                disk.put(key, Counters.newBuilder().setProtocolErrors(unbounded.protocolErrors()).build());
            } else {
                disk.store().put(key, value);
            }
        });
        assertThat(disk.scan("txn/", "txn/", 10_000)).hasSizeGreaterThan(300);
        assertThat(unbounded.inspect(now).getPreparedCount()).isPositive();
        assertThat(unbounded.protocolErrors()).isPositive();

        start(DomainServices.create(name, disk, CAPACITY));

        assertThat(core.start()).isEqualTo(ParticipantCore.Start.UPGRADED);
        assertThat(core.inspect(now)).isEqualTo(unbounded.inspect(now));
        assertThat(disk.scan("prep/", "prep/", 10_000)).extracting(RecordReader.Entry::key)
                .containsExactlyElementsOf(unboundedDisk.scan("prep/", "prep/", 10_000).stream()
                        .map(RecordReader.Entry::key).toList());
        assertThat(Counters.parseFrom(disk.get("meta/counters")).getLayoutVersion()).isEqualTo(1);

        restart(name);
        assertThat(core.inspect(now)).isEqualTo(unbounded.inspect(now));
        for (ParticipantRequest request : rest) {
            now += 1;
            assertThat(core.handle(request, now, false, batch)).isEqualTo(unbounded.handle(request, now, false, unboundedDisk));
            endBatch();
        }
        assertThat(core.inspect(now)).isEqualTo(unbounded.inspect(now));
    }

    private static ParticipantRequest randomMessage(ServiceName name, Random random) {
        String tid = "t-" + random.nextInt(400);
        return switch (random.nextInt(12)) {
            case 0, 1, 2, 3 -> switch (name) {
                case ORDER -> order(tid, "o-" + random.nextInt(200));
                case SHIPPING -> shipment(tid, "o-" + random.nextInt(200));
                default -> prepare(tid, InventoryService.skuId(random.nextInt(20)), 1 + random.nextInt(3));
            };
            case 4, 5, 6 -> commit(tid);
            case 7, 8 -> rollback(tid);
            case 9 -> ParticipantRequest.newBuilder().setQuery(Query.newBuilder().setAttemptId(tid)).build();
            case 10 -> ParticipantRequest.newBuilder().setListTxns(ListTxns.newBuilder()
                    .setAfter(random.nextBoolean() ? "" : tid).setLimit(random.nextInt(12))).build();
            default -> ParticipantRequest.newBuilder().setInspect(Inspect.newBuilder()).build();
        };
    }
}
