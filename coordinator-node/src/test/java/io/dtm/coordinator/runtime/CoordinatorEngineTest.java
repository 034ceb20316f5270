package io.dtm.coordinator.runtime;

import com.codahale.metrics.MetricRegistry;
import io.dtm.config.ServiceName;
import io.dtm.coordinator.admin.NodeMetrics;
import io.dtm.coordinator.core.CoordinatorCore;
import io.dtm.coordinator.core.CoordinatorSettings;
import io.dtm.coordinator.core.TestDigest;
import io.dtm.coordinator.core.TxnRequest;
import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine's own work — carrying out the core's actions, feeding results back, its timers, its
 * answers and its stop — over fakes of the log, the participants and its thread, on a clock the test
 * moves.
 */
class CoordinatorEngineTest {
    static final CoordinatorSettings SETTINGS = new CoordinatorSettings("coordinator:n1", 2, 50, 400, 10_000, 3, 20,
            100, 100, TestDigest.KEYED);

    long now = 1_000_000;
    final FakeThread thread = new FakeThread();
    final FakeLog log = new FakeLog();
    final FakeParticipants participants = new FakeParticipants();
    final MetricRegistry registry = new MetricRegistry();
    final List<String> deposed = new ArrayList<>();
    final CoordinatorEngine engine = new CoordinatorEngine("n1", 1, new CoordinatorCore(SETTINGS, new Random(1)), log,
            participants, thread, new NodeMetrics(registry), () -> now, deposed::add);

    static TxnRequest payment(String tid) {
        SubmitRequest r = SubmitRequest.newBuilder().setTid(tid).setPayment(PaymentRequest.newBuilder()
                .setAccount("acct-0001").setCard("4111111111111111").setExpiry("12/30").setAmountCents(100)).build();
        return ((TxnRequest.Valid) TxnRequest.validate(r, SETTINGS)).request();
    }

    /** Runs what is queued on the engine's thread, and what that queues, until nothing is left. */
    void settle() {
        thread.runAll();
    }

    @Test
    void aSubmissionRunsThroughTheLogAndTheParticipantAndIsAnsweredFromTheLogsDecision() {
        CompletableFuture<SubmitResult> answer = engine.submit(payment("e-1"));
        settle();
        assertThat(log.records).extracting(r -> r.getRecordCase().name()).containsExactly("BEGIN");
        participants.answerPrepare(Vote.newBuilder().setYes(true).build());
        settle();

        assertThat(answer.join().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(log.records).extracting(r -> r.getRecordCase().name()).containsExactly("BEGIN", "DECIDE", "END");
        assertThat(log.state.query("e-1#1").getStatus()).isEqualTo(TxnStatus.ENDED);
        assertThat(engine.inFlight()).isZero();
        assertThat(registry.meter(NodeMetrics.COMMITTED).getCount()).isEqualTo(1);
        assertThat(registry.getTimers()).as("where its time went, record by record")
                .hasEntrySatisfying("dtm.log.append.begin", t -> assertThat(t.getCount()).isEqualTo(1))
                .hasEntrySatisfying("dtm.log.append.decide", t -> assertThat(t.getCount()).isEqualTo(1))
                .hasEntrySatisfying("dtm.log.append.end", t -> assertThat(t.getCount()).isEqualTo(1));
    }

    @Test
    void aPrepareThatTimesOutIsSentAgainAfterTheBackoffOnTheEnginesTimer() {
        engine.submit(payment("e-2"));
        settle();
        participants.failPrepare(new TimeoutException("timed out"));
        settle();
        assertThat(participants.prepares).hasSize(1);

        now += SETTINGS.retryBackoffMs();
        thread.advanceTo(now);

        assertThat(participants.prepares).as("sent again once the timer fired").hasSize(2);
        assertThat(registry.meter(NodeMetrics.TIMEOUTS).getCount()).isEqualTo(1);
    }

    @Test
    void aFencedAppendStopsCoordinatingThroughTheCallback() {
        log.fenceFromNowOn = true;
        engine.submit(payment("e-3"));
        settle();

        assertThat(deposed).singleElement().satisfies(d -> assertThat(d).contains("stale coordinator"));
    }

    @Test
    void closingAnswersEveryWaitingClientNotLeaderAndRefusesNewOnes() {
        CompletableFuture<SubmitResult> waiting = engine.submit(payment("e-4"));
        settle();

        engine.close();

        assertThatThrownBy(waiting::join).isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(CoordinatorEngine.NotLeaderException.class);
        assertThatThrownBy(() -> engine.submit(payment("e-5")).join())
                .hasCauseInstanceOf(CoordinatorEngine.NotLeaderException.class);
        assertThat(log.closed).isTrue();
    }

    @Test
    void aRefusedCommitIsCountedAndReportedAsAViolationAndTheTransactionStaysUnfinished() {
        participants.refuseCommits = true;
        CompletableFuture<SubmitResult> answer = engine.submit(paymentAndOrder("e-6"));
        settle();
        participants.answerAllPrepares(Vote.newBuilder().setYes(true).build());
        settle();

        assertThat(answer.join().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(registry.counter(NodeMetrics.INVARIANT_VIOLATIONS).getCount()).isEqualTo(1);
        assertThat(engine.violations()).singleElement().satisfies(v -> {
            assertThat(v.attemptId()).isEqualTo("e-6#1");
            assertThat(v.service()).isEqualTo(ServiceName.ORDER);
        });
        assertThat(log.records.stream().filter(TxnRecord::hasEnd))
                .as("no End for a transaction a participant contradicts").isEmpty();
        assertThat(engine.inFlight()).isEqualTo(1);

        now += SETTINGS.retryBackoffMaxMs();
        participants.refuseCommits = false; // the operator repaired the service's record
        thread.advanceTo(now);

        assertThat(engine.violations()).isEmpty();
        assertThat(log.records.stream().filter(TxnRecord::hasEnd)).hasSize(1);
        assertThat(engine.inFlight()).isZero();
    }

    // ------------------------------------------------------------------ handing the group over

    @Test
    void aHandOverHoldsNewSubmissionsUntilWhatRunsIsDecidedSoTheNextLeaderAbortsNothing() {
        CompletableFuture<SubmitResult> running = engine.submit(payment("h-1"));
        settle();
        CompletableFuture<Boolean> ready = engine.prepareHandOver(1_000, 5_000);
        CompletableFuture<SubmitResult> held = engine.submit(payment("h-2"));
        settle();
        assertThat(ready).as("h-1 has no vote yet").isNotDone();
        assertThat(participants.prepares).as("h-2 does not start").hasSize(1);

        participants.answerPrepare(Vote.newBuilder().setYes(true).build());
        settle();

        assertThat(running.join().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(ready.join()).isTrue();
        assertThat(log.state.inFlightTransactions()).as("what the next leader takes over: nothing undecided")
                .noneMatch(t -> t.getOutcome() == io.dtm.protocol.log.Outcome.UNDECIDED);
        engine.handOverEnded(true);
        engine.close();
        assertThatThrownBy(held::join).hasCauseInstanceOf(CoordinatorEngine.NotLeaderException.class);
        assertThat(log.records).as("h-2 never began here: its client takes it to the next leader")
                .noneMatch(r -> r.hasBegin() && r.getBegin().getAttemptId().startsWith("h-2"));
    }

    @Test
    void aHandOverThatDoesNotDrainInTimeGivesUpAndServesWhatItHeld() {
        engine.submit(payment("h-3"));
        settle();
        CompletableFuture<Boolean> ready = engine.prepareHandOver(1_000, 5_000);
        CompletableFuture<SubmitResult> held = engine.submit(payment("h-4"));
        settle();

        now += 1_000;
        thread.advanceTo(now);

        assertThat(ready.join()).as("h-3's participant never voted").isFalse();
        assertThat(participants.prepares).as("h-4 runs once the engine gave up").hasSize(2);
        participants.answerAllPrepares(Vote.newBuilder().setYes(true).build());
        settle();
        assertThat(held.join().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
    }

    @Test
    void aTransferThatDidNotHappenServesTheHeldSubmissions() {
        CompletableFuture<Boolean> ready = engine.prepareHandOver(1_000, 5_000);
        settle();
        assertThat(ready.join()).as("nothing in flight: drained at once").isTrue();
        CompletableFuture<SubmitResult> held = engine.submit(payment("h-5"));
        settle();
        assertThat(participants.prepares).isEmpty();

        engine.handOverEnded(false);
        settle();
        participants.answerPrepare(Vote.newBuilder().setYes(true).build());
        settle();

        assertThat(held.join().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
    }

    @Test
    void aHandOverNeverEndedStopsHoldingAfterItsBound() {
        assertThat(engine.prepareHandOver(1_000, 5_000)).isNotNull();
        settle();
        CompletableFuture<SubmitResult> held = engine.submit(payment("h-6"));
        settle();
        now += 4_999;
        thread.advanceTo(now);
        assertThat(participants.prepares).isEmpty();

        now += 1;
        thread.advanceTo(now);

        assertThat(participants.prepares).as("served once the hold ran out").hasSize(1);
        participants.answerPrepare(Vote.newBuilder().setYes(true).build());
        settle();
        assertThat(held.join().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
    }

    static TxnRequest paymentAndOrder(String tid) {
        SubmitRequest r = SubmitRequest.newBuilder().setTid(tid)
                .setPayment(payment(tid).prepares().get(ServiceName.PAYMENT).getPayment())
                .setOrder(io.dtm.protocol.participant.OrderRequest.newBuilder().setOrderId("o-" + tid).setCustomer("c")
                        .addLines(io.dtm.protocol.participant.OrderLine.newBuilder().setSku("sku-0001").setQty(1)
                                .setPriceCents(100)))
                .build();
        return ((TxnRequest.Valid) TxnRequest.validate(r, SETTINGS)).request();
    }

    // ------------------------------------------------------------------ fakes

    /** The engine's thread, run by the test: tasks in order, timers on the test's clock. */
    final class FakeThread implements EngineThread {
        private final Deque<Runnable> tasks = new ArrayDeque<>();
        private final PriorityQueue<Scheduled> timers = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));

        private final class Scheduled {
            final long at;
            final Runnable task;
            boolean cancelled;

            Scheduled(long at, Runnable task) {
                this.at = at;
                this.task = task;
            }
        }

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        @Override
        public Cancellable schedule(Runnable task, long delayMs) {
            Scheduled s = new Scheduled(now + delayMs, task);
            timers.add(s);
            return () -> s.cancelled = true;
        }

        @Override
        public boolean inThread() {
            return true;
        }

        void runAll() {
            while (!tasks.isEmpty()) {
                tasks.poll().run();
            }
        }

        void advanceTo(long time) {
            runAll();
            while (!timers.isEmpty() && timers.peek().at <= time) {
                Scheduled s = timers.poll();
                if (!s.cancelled) {
                    s.task.run();
                }
                runAll();
            }
        }
    }

    /** A log of one replica that answers at once (through the engine's thread, as a real reply does). */
    final class FakeLog implements EngineLog {
        final TxnLogState state = new TxnLogState(new TxnLogState.Retention(100, 3_600_000), List.of("n1"));
        final List<TxnRecord> records = new ArrayList<>();
        boolean fenceFromNowOn;
        boolean closed;

        @Override
        public CompletableFuture<RecordResult> append(TxnRecord record) {
            records.add(record);
            RecordBatch batch = RecordBatch.newBuilder().setTimestampMs(now).setUptimeMs(now).setProcessId(1)
                    .setNodeId("n1")
                    .setProposerTerm(fenceFromNowOn ? 99 : 1).addRecords(record).build();
            return CompletableFuture.completedFuture(state.apply(batch, 1).getResults(0));
        }

        @Override
        public CompletableFuture<TxnState> read(String attemptId) {
            return CompletableFuture.completedFuture(state.query(attemptId));
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    /** Participants whose answers the test gives, one PREPARE at a time. */
    static final class FakeParticipants implements EngineParticipants {
        final List<CompletableFuture<Vote>> prepares = new ArrayList<>();
        boolean refuseCommits;

        void answerPrepare(Vote vote) {
            prepares.stream().filter(f -> !f.isDone()).findFirst().orElseThrow().complete(vote);
        }

        void answerAllPrepares(Vote vote) {
            prepares.stream().filter(f -> !f.isDone()).forEach(f -> f.complete(vote));
        }

        void failPrepare(Throwable error) {
            prepares.stream().filter(f -> !f.isDone()).findFirst().orElseThrow().completeExceptionally(error);
        }

        @Override
        public CompletableFuture<Vote> prepare(ServiceName service, Prepare prepare) {
            CompletableFuture<Vote> vote = new CompletableFuture<>();
            prepares.add(vote);
            return vote;
        }

        @Override
        public CompletableFuture<Ack> commit(ServiceName service, String attemptId) {
            if (refuseCommits && service == ServiceName.ORDER) {
                return CompletableFuture.failedFuture(new RemoteException(ErrorCode.CONFLICT.toProto(
                        "order: protocol error: COMMIT for " + attemptId + ", which was rolled back here"), "order"));
            }
            return CompletableFuture.completedFuture(Ack.newBuilder().setState(LocalState.COMMITTED).build());
        }

        @Override
        public CompletableFuture<Ack> rollback(ServiceName service, Rollback rollback) {
            return CompletableFuture.completedFuture(Ack.newBuilder().setState(LocalState.ROLLED_BACK).build());
        }
    }
}
