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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The in-doubt resolver against a fake log, with a clock the test moves. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class InDoubtResolverTest {
    private static final long TIMEOUT_MS = 10_000;

    /** A log the test scripts: outcomes (and request digests) by attempt, ABORT proposals, outages. */
    static class FakeLog implements DecisionSource {
        final Map<String, Outcome> logged = new ConcurrentHashMap<>();
        final Map<String, Long> digests = new ConcurrentHashMap<>();
        final List<String> asked = Collections.synchronizedList(new ArrayList<>());
        final List<String> abortsProposed = Collections.synchronizedList(new ArrayList<>());
        /** Attempts it cannot answer about; all of them when {@code down}. */
        final Set<String> failing = ConcurrentHashMap.newKeySet();
        volatile boolean down;

        TxnState state(String attemptId, Outcome outcome) {
            return TxnState.newBuilder().setAttemptId(attemptId).setOutcome(outcome)
                    .setRequestDigest(digests.getOrDefault(attemptId, 0L)).build();
        }

        @Override
        public CompletableFuture<TxnState> state(String attemptId) {
            asked.add(attemptId);
            if (down || failing.contains(attemptId)) {
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

    /** Runs the resolver's retries when the test says their delay has passed, and records the delays. */
    static final class FakeTimer implements InDoubtResolver.RetryTimer {
        final List<Long> delaysMs = Collections.synchronizedList(new ArrayList<>());
        final BlockingQueue<Runnable> scheduled = new LinkedBlockingQueue<>();

        @Override
        public void schedule(Runnable task, long delayMs) {
            delaysMs.add(delayMs);
            scheduled.add(task);
        }

        /** Runs the next retry, waiting (with a deadline) for it to be scheduled. */
        void fireNext() throws InterruptedException {
            Runnable task = scheduled.poll(10, TimeUnit.SECONDS);
            assertThat(task).as("a retry was scheduled").isNotNull();
            task.run();
        }
    }

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_800_000_000_000L);
    private final FakeLog log = new FakeLog();
    private final FakeTimer timer = new FakeTimer();
    private ParticipantStore store;
    private ParticipantEngine engine;
    private InDoubtResolver resolver;

    @BeforeEach
    void start() throws IOException {
        store = ParticipantStore.open(dir);
        engine = Engines.inventory(store, now::get);
        resolver = new InDoubtResolver("inventory", engine, log, TIMEOUT_MS, now::get, timer);
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
        new InDoubtResolver("inventory", engine, racing, TIMEOUT_MS, now::get, timer).resolveOnce().join();

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
    void anUnreachableLogLeavesItPreparedAndTheRetryAfterTheBackoffFinishesIt() throws InterruptedException {
        prepare("t-wait");
        now.addAndGet(TIMEOUT_MS + 1);
        log.down = true;

        resolver.resolveOnce().join();
        assertThat(state("t-wait")).isEqualTo(LocalState.PREPARED);

        log.down = false;
        log.logged.put("t-wait", Outcome.ABORT);
        timer.fireNext();
        await().atMost(Duration.ofSeconds(10)).until(() -> state("t-wait") == LocalState.ROLLED_BACK);
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

    /** Prepares {@code count} attempts at once (they share a few synced writes), tids {@code prefix-0...}. */
    private void prepareMany(String prefix, int count) {
        List<CompletableFuture<io.dtm.protocol.participant.ParticipantResponse>> votes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            votes.add(engine.submit(ParticipantCoreTest.prepare(prefix + "-" + i, String.format("sku-%04d", i % 1000), 1)));
        }
        votes.forEach(v -> assertThat(v.join().getVote().getYes()).isTrue());
    }

    private int stillPrepared() {
        return engine.read(core -> core.preparedSince(Long.MAX_VALUE).size()).join();
    }

    @Test
    void fiveThousandInDoubtAreAllResolvedByOneScanWhenTheLogAnswersAtOnce() {
        prepareMany("backlog", 5_000);
        now.addAndGet(TIMEOUT_MS + 1);

        resolver.resolveOnce().join();

        assertThat(stillPrepared()).isZero();
        assertThat(log.asked).hasSize(5_000);
        assertThat(timer.delaysMs).as("nothing failed, so nothing waits for a retry").isEmpty();
    }

    /** A log that answers only when the test says so (ABORT logged for every attempt), counting questions outstanding. */
    static final class DeferredLog implements DecisionSource {
        final BlockingQueue<Runnable> answers = new LinkedBlockingQueue<>();
        final AtomicInteger asked = new AtomicInteger();
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger mostOutstanding = new AtomicInteger();

        @Override
        public CompletableFuture<TxnState> state(String attemptId) {
            asked.incrementAndGet();
            mostOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            CompletableFuture<TxnState> answer = new CompletableFuture<>();
            answers.add(() -> {
                outstanding.decrementAndGet();
                answer.complete(TxnState.newBuilder().setAttemptId(attemptId).setOutcome(Outcome.ABORT).build());
            });
            return answer;
        }

        @Override
        public CompletableFuture<TxnState> proposeAbort(String attemptId, String reason) {
            throw new AssertionError("every attempt has an outcome logged: nothing to propose");
        }

        void answerAllWaiting() {
            for (Runnable a = answers.poll(); a != null; a = answers.poll()) {
                a.run();
            }
        }
    }

    @Test
    void noMoreThanTheBoundAreAskedAtOnceAndEachAnswerStartsTheNextQuestion() {
        prepareMany("bounded", 1_000);
        now.addAndGet(TIMEOUT_MS + 1);
        DeferredLog slow = new DeferredLog();
        InDoubtResolver bounded = new InDoubtResolver("inventory", engine, slow, TIMEOUT_MS, now::get, timer);

        CompletableFuture<Void> round = bounded.resolveOnce();
        await().atMost(Duration.ofSeconds(10)).until(() -> slow.outstanding.get() == InDoubtResolver.MAX_IN_FLIGHT);
        assertThat(slow.asked).as("the bound, not the 1,000 in doubt").hasValue(InDoubtResolver.MAX_IN_FLIGHT);

        slow.answers.remove().run();
        await("one answer starts the next question, with no scan or timer").atMost(Duration.ofSeconds(10))
                .until(() -> slow.asked.get() == InDoubtResolver.MAX_IN_FLIGHT + 1);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(1)).until(() -> {
            slow.answerAllWaiting();
            return round.isDone();
        });
        assertThat(stillPrepared()).isZero();
        assertThat(slow.asked).hasValue(1_000);
        assertThat(slow.mostOutstanding).hasValue(InDoubtResolver.MAX_IN_FLIGHT);
    }

    @Test
    void anUnreachableLogIsAskedAgainAfterABackoffThatDoublesNotInATightLoop() throws InterruptedException {
        prepareMany("down", 200);
        now.addAndGet(TIMEOUT_MS + 1);
        log.down = true;

        resolver.resolveOnce().join();
        assertThat(log.asked).as("the first failure pauses the resolver: the other 199 are not asked").hasSize(1);
        resolver.resolveOnce().join();
        assertThat(log.asked).as("a scan during the pause asks nothing").hasSize(1);

        for (int retry = 1; retry <= 7; retry++) {
            int expected = 1 + retry;
            timer.fireNext();
            await().atMost(Duration.ofSeconds(10)).until(() -> timer.delaysMs.size() == expected);
            assertThat(log.asked).as("each retry asks one question").hasSize(expected);
        }
        assertThat(timer.delaysMs).containsExactly(100L, 200L, 400L, 800L, 1_600L, 3_200L, 5_000L, 5_000L);

        log.down = false;
        timer.fireNext();
        await().atMost(Duration.ofSeconds(30)).until(() -> stillPrepared() == 0);
        assertThat(timer.delaysMs).as("no failure, no further retry").hasSize(8);

        prepare("after");
        now.addAndGet(TIMEOUT_MS + 1);
        log.down = true;
        resolver.resolveOnce().join();
        assertThat(timer.delaysMs.get(8)).as("answers came in between: the backoff starts over").isEqualTo(100L);
    }

    @Test
    void anAttemptWhoseQuestionFailedIsAskedAfterTheOthersNextTime() throws InterruptedException {
        prepare("t-poison");
        prepare("t-2");
        prepare("t-3");
        now.addAndGet(TIMEOUT_MS + 1);
        log.failing.add("t-poison");

        resolver.resolveOnce().join();
        timer.fireNext();
        await().atMost(Duration.ofSeconds(10)).until(() -> timer.delaysMs.size() == 2);

        assertThat(log.asked).containsExactly("t-poison", "t-2", "t-3", "t-poison");
        assertThat(state("t-2")).isEqualTo(LocalState.ROLLED_BACK);
        assertThat(state("t-3")).isEqualTo(LocalState.ROLLED_BACK);
    }
}
