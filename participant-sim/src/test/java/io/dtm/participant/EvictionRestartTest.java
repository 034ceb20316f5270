package io.dtm.participant;

import io.dtm.participant.domain.OrderService;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.LocalTxn;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.TxnList;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.dtm.participant.BoundedParticipantCoreTest.order;
import static io.dtm.participant.ParticipantCoreTest.commit;
import static io.dtm.participant.ParticipantCoreTest.rollback;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An order participant with caches of two records on a real RocksDB store, stopped and started
 * again: everything evicted long before the restart is still there after it.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class EvictionRestartTest {
    private static final int CAPACITY = 2;

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private ParticipantStore store;
    private ParticipantEngine engine;

    private void start() throws IOException {
        store = ParticipantStore.open(dir);
        engine = Engines.start(store, new OrderService(store, CAPACITY), CAPACITY, now::get);
    }

    @AfterEach
    void stop() {
        if (engine != null) {
            engine.close();
            store.close();
        }
    }

    private Vote vote(ParticipantRequest prepare) {
        return engine.submit(prepare).join().getVote();
    }

    private LocalState ack(ParticipantRequest decision) {
        return engine.submit(decision).join().getAck().getState();
    }

    @Test
    void aRestartAfterEvictionFindsEveryTransactionOrderAndCount() throws Exception {
        start();
        Map<String, Vote> votes = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            votes.put("c-" + i, vote(order("c-" + i, "o-c-" + i)));
            assertThat(ack(commit("c-" + i))).isEqualTo(LocalState.COMMITTED);
        }
        List<String> inDoubt = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            now.addAndGet(1_000);
            votes.put("p-" + i, vote(order("p-" + i, "o-p-" + i)));
            inDoubt.add("p-" + i);
        }
        for (int i = 0; i < 3; i++) {
            votes.put("r-" + i, vote(order("r-" + i, "o-r-" + i)));
            assertThat(ack(rollback("r-" + i))).isEqualTo(LocalState.ROLLED_BACK);
        }
        assertThat(ack(rollback("tombstone"))).isEqualTo(LocalState.ROLLED_BACK);
        votes.put("reuse", vote(order("reuse", "o-c-0")));
        for (int i = 0; i < 10; i++) {
            assertThat(vote(order("late-" + i, "o-late-" + i)).getYes()).isTrue();
            assertThat(ack(commit("late-" + i))).isEqualTo(LocalState.COMMITTED);
        }
        InspectReply before = engine.read(core -> core.inspect(now.get())).join();
        TxnList listBefore = engine.read(core -> core.list("", 0)).join();
        Map<String, LocalTxn> txnsBefore = engine.read(core -> {
            Map<String, LocalTxn> txns = new LinkedHashMap<>();
            votes.keySet().forEach(tid -> txns.put(tid, core.localTxn(tid)));
            return txns;
        }).join();
        assertThat(before.getStatesMap()).containsEntry("COMMITTED", 30L).containsEntry("PREPARED", 5L)
                .containsEntry("ROLLED_BACK", 4L).containsEntry("VOTED_NO", 1L);
        assertThat(before.getTotalsMap()).containsEntry("confirmed", 30L).containsEntry("pending", 5L);
        engine.close();
        store.close();

        start();

        assertThat(engine.read(ParticipantCore::start).join()).as("read the index and the counts, not every transaction")
                .isEqualTo(ParticipantCore.Start.LOADED);
        assertThat(engine.read(core -> core.inspect(now.get())).join()).isEqualTo(before);
        assertThat(engine.read(core -> core.list("", 0)).join()).isEqualTo(listBefore);
        assertThat(listBefore.getTxnsCount()).isEqualTo(40);
        for (Map.Entry<String, LocalTxn> e : txnsBefore.entrySet()) {
            assertThat(engine.read(core -> core.localTxn(e.getKey())).join()).isEqualTo(e.getValue());
        }
        assertThat(engine.read(core -> core.preparedSince(now.get())).join())
                .extracting(ParticipantCore.InDoubt::attemptId).containsExactlyElementsOf(inDoubt);
        for (Map.Entry<String, Vote> e : votes.entrySet()) {
            String tid = e.getKey();
            String orderId = tid.equals("reuse") ? "o-c-0" : "o-" + tid;
            if (tid.startsWith("r-")) {
                // Rolled back after its YES: that YES is void, and a duplicate says so.
                assertThat(vote(order(tid, orderId)).getCode()).as("a duplicate of %s", tid)
                        .isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
            } else {
                assertThat(vote(order(tid, orderId))).as("a duplicate of %s", tid).isEqualTo(e.getValue());
            }
        }
        assertThat(vote(order("tombstone", "o-new")).getCode()).isEqualTo(VoteCode.ALREADY_ROLLED_BACK);
        assertThat(vote(order("another", "o-c-7")).getCode()).isEqualTo(VoteCode.DUPLICATE_ORDER);
        assertThat(vote(order("again", "o-r-1")).getYes()).as("a rolled-back order's id is free").isTrue();
        for (String tid : inDoubt) {
            assertThat(ack(commit(tid))).isEqualTo(LocalState.COMMITTED);
        }
        InspectReply after = engine.read(core -> core.inspect(now.get())).join();
        assertThat(after.getPreparedList()).extracting(p -> p.getAttemptId()).containsExactly("again");
        assertThat(after.getTotalsMap()).containsEntry("confirmed", 35L).containsEntry("pending", 1L);
        assertThat(after.getStatesMap()).containsEntry("COMMITTED", 35L).containsEntry("PREPARED", 1L)
                .containsEntry("VOTED_NO", 2L);
    }
}
