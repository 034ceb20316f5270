package io.dtm.participant;

import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The engine's write policy: a YES vote is synced before it goes out; a COMMIT rides on a later sync. */
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
        engine = Engines.inventory(store, now::get);
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
    }

    private static ParticipantRequest commit(String tid) {
        return ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setTid(tid)).build();
    }

    @Test
    void aYesVoteIsSyncedAndACommitIsSyncedOnlyWhenItsDebtFallsDue() {
        assertThat(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)).join().getVote().getYes()).isTrue();
        assertThat(engine.syncs()).as("the YES vote's write was synced").isEqualTo(1);

        assertThat(engine.submit(commit("t-1")).join().getAck().getState()).isEqualTo(LocalState.COMMITTED);
        assertThat(engine.writes()).isEqualTo(2);
        assertThat(engine.syncs()).as("the COMMIT was acknowledged without an fsync of its own").isEqualTo(1);

        now.addAndGet(ParticipantEngine.SYNC_DEBT_MS - 1);
        assertThat(engine.read(core -> engine.syncs()).join()).as("not due yet").isEqualTo(1);

        now.addAndGet(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> engine.syncs() == 2);
    }

    @Test
    void aPrepareSyncsTheCommitsWrittenBeforeIt() {
        assertThat(engine.submit(ParticipantCoreTest.prepare("t-1", "sku-0001", 1)).join().getVote().getYes()).isTrue();
        engine.submit(commit("t-1")).join();
        assertThat(engine.submit(ParticipantCoreTest.prepare("t-2", "sku-0002", 1)).join().getVote().getYes()).isTrue();

        assertThat(engine.syncs()).isEqualTo(2);
        now.addAndGet(10 * ParticipantEngine.SYNC_DEBT_MS);
        assertThat(engine.read(core -> engine.syncs()).join())
                .as("the PREPARE's synced write covered the COMMIT before it: no debt left").isEqualTo(2);
    }
}
