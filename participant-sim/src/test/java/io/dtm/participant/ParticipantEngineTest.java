package io.dtm.participant;

import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The engine's write policy: a YES vote is synced before it goes out; a COMMIT rides on a later sync and is acknowledged after it. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ParticipantEngineTest {
    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private ParticipantStore store;
    private ParticipantEngine engine;

    @BeforeEach
    void start() throws IOException {
        store = ParticipantStore.open(dir);
        engine = Engines.inventory(store, now::get, now::get);
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
    }

    private static ParticipantRequest commit(String tid) {
        return ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setAttemptId(tid)).build();
    }

    @Test
    void aCommitGetsNoFsyncOfItsOwnAndIsAcknowledgedOnlyOnceSynced() {
        assertThat(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)).join().getVote().getYes()).isTrue();
        assertThat(engine.syncs()).as("the YES vote's write was synced").isEqualTo(1);

        CompletableFuture<ParticipantResponse> ack = engine.submit(commit("t-1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.writes() == 2);
        assertThat(engine.read(core -> core.localTxn("t-1").getState()).join()).isEqualTo(LocalState.COMMITTED);
        assertThat(ack).as("written but not synced: not acknowledged yet").isNotDone();
        assertThat(engine.syncs()).isEqualTo(1);

        now.addAndGet(ParticipantEngine.SYNC_DEBT_MS);
        assertThat(ack.join().getAck().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(engine.syncs()).as("one WAL sync, when the debt fell due").isEqualTo(2);
    }

    @Test
    void aPrepareSyncReleasesTheCommitsWrittenBeforeIt() {
        assertThat(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)).join().getVote().getYes()).isTrue();
        CompletableFuture<ParticipantResponse> ack = engine.submit(commit("t-1"));
        assertThat(engine.submit(ParticipantCoreTest.prepare("t-2", "sku-0002", 1)).join().getVote().getYes()).isTrue();

        assertThat(ack).as("the PREPARE's fsync covered the COMMIT before it").isDone();
        assertThat(engine.syncs()).isEqualTo(2);
        now.addAndGet(10 * ParticipantEngine.SYNC_DEBT_MS);
        assertThat(engine.read(core -> engine.syncs()).join()).as("no debt left").isEqualTo(2);
    }

    @Test
    void repliesGoOutOnTheirConnectionsLoopOneTaskPerGroup() {
        BlockingQueue<Runnable> loop = new LinkedBlockingQueue<>();
        CompletableFuture<ParticipantResponse> vote = engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1), loop::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> !loop.isEmpty());
        assertThat(engine.syncs()).as("the vote is durable").isEqualTo(1);
        assertThat(vote).as("completed by the loop's task, not by the engine's thread").isNotDone();

        Runnable task = loop.remove();
        task.run();
        assertThat(vote.join().getVote().getYes()).isTrue();
        assertThat(loop).isEmpty();
    }

    @Test
    void everyReplyOfAGroupLeavesInOneTask() {
        BlockingQueue<Runnable> loop = new LinkedBlockingQueue<>();
        // Hold the engine's thread in a read, so that the PREPAREs behind it form one group.
        CountDownLatch release = new CountDownLatch(1);
        engine.read(core -> {
            try {
                return release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Executor connectionLoop = loop::add; // one connection: one executor
        List<CompletableFuture<ParticipantResponse>> votes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            votes.add(engine.submit(ParticipantCoreTest.prepare("t-" + i, "sku-000" + i, 1), connectionLoop));
        }
        release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> !loop.isEmpty());
        assertThat(engine.syncs()).as("one synced write for the five").isEqualTo(1);
        assertThat(loop).hasSize(1);
        loop.remove().run();
        assertThat(votes).allSatisfy(v -> assertThat(v.join().getVote().getYes()).isTrue());
    }
}
