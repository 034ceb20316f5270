package io.dtm.participant;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The in-doubt resolver against a fake log, with a clock the test moves. */
@Timeout(value = 1, unit = java.util.concurrent.TimeUnit.MINUTES)
class InDoubtResolverTest {
    private static final long TIMEOUT_MS = 10_000;

    /** A log the test scripts: outcomes (and request digests) by attempt, ABORT proposals, outages. */
    static class FakeLog implements DecisionSource {
        final Map<String, Outcome> logged = new HashMap<>();
        final Map<String, Long> digests = new HashMap<>();
        final List<String> asked = new ArrayList<>();
        final List<String> abortsProposed = new ArrayList<>();
        boolean down;

        TxnState state(String attemptId, Outcome outcome) {
            return TxnState.newBuilder().setTid(attemptId).setOutcome(outcome)
                    .setRequestDigest(digests.getOrDefault(attemptId, 0L)).build();
        }

        @Override
        public CompletableFuture<TxnState> state(String attemptId) {
            asked.add(attemptId);
            if (down) {
                return CompletableFuture.failedFuture(new IOException("no coordinator node could answer"));
            }
            return CompletableFuture.completedFuture(state(attemptId, logged.getOrDefault(attemptId, Outcome.UNDECIDED)));
        }

        @Override
        public CompletableFuture<TxnState> proposeAbort(String attemptId, String reason) {
            abortsProposed.add(attemptId);
            // First decision wins: a COMMIT already logged stands.
            return CompletableFuture.completedFuture(state(attemptId, logged.computeIfAbsent(attemptId, t -> Outcome.ABORT)));
        }
    }

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private final FakeLog log = new FakeLog();
    private ParticipantStore store;
    private ParticipantEngine engine;
    private InDoubtResolver resolver;

    @BeforeEach
    void start() throws IOException {
        store = ParticipantStore.open(dir);
        engine = Engines.inventory(store, now::get);
        resolver = new InDoubtResolver("inventory", engine, log, TIMEOUT_MS, now::get);
    }

    @AfterEach
    void stop() {
        engine.close();
        store.close();
    }

    private int nextSku;

    private void prepare(String tid) {
        ParticipantRequest request = ParticipantCoreTest.prepare(tid, String.format("sku-%04d", nextSku++), 1);
        assertThat(engine.submit(request).join().getVote().getYes()).isTrue();
    }

    private LocalState state(String tid) {
        return engine.read(core -> core.localTxn(tid).getState()).join();
    }

    @Test
    void aCommitInTheLogIsApplied() {
        prepare("t-commit");
        log.logged.put("t-commit", Outcome.COMMIT);
        now.addAndGet(TIMEOUT_MS + 1);

        resolver.resolveOnce().join();

        assertThat(state("t-commit")).isEqualTo(LocalState.COMMITTED);
        assertThat(log.abortsProposed).isEmpty();
    }

    @Test
    void withNoDecisionItProposesAbortAndRollsBack() {
        prepare("t-orphan");
        now.addAndGet(TIMEOUT_MS + 1);

        resolver.resolveOnce().join();

        assertThat(log.abortsProposed).containsExactly("t-orphan");
        assertThat(state("t-orphan")).isEqualTo(LocalState.ROLLED_BACK);
    }

    @Test
    void whenTheCoordinatorsCommitWonTheRaceTheProposalLearnsItAndCommits() {
        prepare("t-race");
        log.logged.put("t-race", Outcome.UNDECIDED);
        now.addAndGet(TIMEOUT_MS + 1);
        // The coordinator's COMMIT lands between the question and the ABORT proposal.
        FakeLog racing = new FakeLog() {
            @Override
            public CompletableFuture<TxnState> state(String attemptId) {
                return CompletableFuture.completedFuture(state(attemptId, Outcome.UNDECIDED));
            }

            @Override
            public CompletableFuture<TxnState> proposeAbort(String attemptId, String reason) {
                return CompletableFuture.completedFuture(state(attemptId, Outcome.COMMIT));
            }
        };
        new InDoubtResolver("inventory", engine, racing, TIMEOUT_MS, now::get).resolveOnce().join();

        assertThat(state("t-race")).isEqualTo(LocalState.COMMITTED);
    }

    @Test
    void aCommitLoggedForAnotherRequestUnderTheSameIdDoesNotApply() {
        ParticipantRequest rogue = ParticipantCoreTest.prepare("reused#1", "sku-0900", 1).toBuilder()
                .setPrepare(ParticipantCoreTest.prepare("reused#1", "sku-0900", 1).getPrepare().toBuilder()
                        .setRequestDigest(111))
                .build();
        assertThat(engine.submit(rogue).join().getVote().getYes()).isTrue();
        log.logged.put("reused#1", Outcome.COMMIT);
        log.digests.put("reused#1", 222L);
        now.addAndGet(TIMEOUT_MS + 1);

        resolver.resolveOnce().join();

        assertThat(state("reused#1")).isEqualTo(LocalState.ROLLED_BACK);
    }

    @Test
    void nothingIsAskedBeforeTheTimeout() {
        prepare("t-young");
        now.addAndGet(TIMEOUT_MS - 1);

        resolver.resolveOnce().join();

        assertThat(log.asked).isEmpty();
        assertThat(state("t-young")).isEqualTo(LocalState.PREPARED);
    }

    @Test
    void anUnreachableLogLeavesItPreparedAndTheNextRoundFinishesIt() {
        prepare("t-wait");
        now.addAndGet(TIMEOUT_MS + 1);
        log.down = true;

        resolver.resolveOnce().join();
        assertThat(state("t-wait")).isEqualTo(LocalState.PREPARED);

        log.down = false;
        log.logged.put("t-wait", Outcome.ABORT);
        resolver.resolveOnce().join();
        assertThat(state("t-wait")).isEqualTo(LocalState.ROLLED_BACK);
        assertThat(log.asked).containsExactly("t-wait", "t-wait");
    }

    @Test
    void onlyTheAttemptsInDoubtAreAskedOldestFirst() {
        prepare("t-1");
        now.addAndGet(1_000);
        prepare("t-2");
        now.addAndGet(TIMEOUT_MS + 1_000);
        prepare("t-3");

        resolver.resolveOnce().join();

        assertThat(log.asked).containsExactly("t-1", "t-2");
        assertThat(state("t-3")).isEqualTo(LocalState.PREPARED);
    }
}
