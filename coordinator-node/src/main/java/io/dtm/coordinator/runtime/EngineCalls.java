package io.dtm.coordinator.runtime;

import io.dtm.config.ServiceName;
import io.dtm.coordinator.admin.NodeMetrics;
import io.dtm.coordinator.core.Action;
import io.dtm.coordinator.core.CoordinatorCore;
import io.dtm.protocol.Failures;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Rollback;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The engine's calls out, to the log and the participants: each one sent, timed, and its result
 * (or failure) fed back to the core as a new event on the engine's thread.
 */
final class EngineCalls {
    private final CoordinatorCore core;
    private final EngineLog log;
    private final EngineParticipants participants;
    private final EngineThread thread;
    private final NodeMetrics metrics;
    private final LongSupplier clockMs;
    private final Breakage breakage;
    /** Runs an event on the engine's thread and carries out the actions it returns. */
    private final Consumer<Supplier<List<Action>>> on;

    EngineCalls(CoordinatorCore core, EngineLog log, EngineParticipants participants, EngineThread thread,
            NodeMetrics metrics, LongSupplier clockMs, Breakage breakage, Consumer<Supplier<List<Action>>> on) {
        this.core = core;
        this.log = log;
        this.participants = participants;
        this.thread = thread;
        this.metrics = metrics;
        this.clockMs = clockMs;
        this.breakage = breakage;
        this.on = on;
    }

    void readLog(String attemptId) {
        log.read(attemptId).whenComplete((state, error) -> on.accept(() -> error == null
                ? core.logRead(attemptId, state, clockMs.getAsLong())
                : core.logReadFailed(attemptId, clockMs.getAsLong())));
    }

    void append(String attemptId, TxnRecord record) {
        if (!breakage.takeOver(attemptId, record, breakageMoves)) {
            appendNow(attemptId, record);
        }
    }

    private final Breakage.Moves breakageMoves = new Breakage.Moves() {
        @Override
        public void commitNow(String attemptId) {
            core.servicesOf(attemptId).forEach(service -> phase2(service, attemptId, true, false, 0));
        }

        @Override
        public void appendAfter(String attemptId, TxnRecord record, long delayMs) {
            thread.schedule(() -> appendNow(attemptId, record), delayMs);
        }
    };

    private void appendNow(String attemptId, TxnRecord record) {
        long start = System.nanoTime();
        log.append(record).whenComplete((result, error) -> {
            if (error == null) {
                metrics.logAppendLatency(APPEND_KINDS.get(record.getRecordCase()), System.nanoTime() - start);
            }
            on.accept(() -> {
                long now = clockMs.getAsLong();
                if (error != null) {
                    metrics.retries("append");
                    return core.appendFailed(attemptId, record, now);
                }
                return core.appended(attemptId, record, result, now);
            });
        });
    }

    /** The name of each record's append timer ({@link NodeMetrics#LOG_APPEND}). */
    private static final Map<TxnRecord.RecordCase, String> APPEND_KINDS = Map.of(TxnRecord.RecordCase.BEGIN, "begin",
            TxnRecord.RecordCase.DECIDE, "decide", TxnRecord.RecordCase.END, "end",
            TxnRecord.RecordCase.RECORD_NOT_SET, "other");

    void prepare(ServiceName service, Prepare prepare) {
        String attemptId = prepare.getAttemptId();
        long start = System.nanoTime();
        participants.prepare(service, prepare)
                .whenComplete((vote, error) -> {
                    metrics.phaseLatency(service.id(), "prepare", System.nanoTime() - start);
                    on.accept(() -> {
                        long now = clockMs.getAsLong();
                        if (error == null) {
                            return core.voted(attemptId, service, vote, now);
                        }
                        if (Failures.unwrap(error) instanceof java.util.concurrent.TimeoutException) {
                            metrics.timeouts();
                        }
                        metrics.retries("prepare");
                        return core.prepareFailed(attemptId, service, describe(error), now);
                    });
                });
    }

    void phase2(ServiceName service, String attemptId, boolean commit, boolean fence, long runId) {
        long start = System.nanoTime();
        (commit ? participants.commit(service, attemptId) : participants.rollback(service, Rollback.newBuilder()
                .setAttemptId(attemptId).setUnlessCommitted(fence).setRunId(runId).build()))
                .whenComplete((ack, error) -> {
                    metrics.phaseLatency(service.id(), "phase2", System.nanoTime() - start);
                    on.accept(() -> {
                        long now = clockMs.getAsLong();
                        if (error == null) {
                            return core.acknowledged(attemptId, service, ack.getState(), ack.getEarlierRun(), now);
                        }
                        Throwable cause = Failures.unwrap(error);
                        if (cause instanceof RemoteException remote && !remote.code().retriable()) {
                            return core.phase2Refused(attemptId, service, remote.getMessage(), now);
                        }
                        metrics.retries("phase2");
                        return core.phase2Failed(attemptId, service, now);
                    });
                });
    }

    private static String describe(Throwable error) {
        Throwable cause = Failures.unwrap(error);
        if (cause instanceof java.util.concurrent.TimeoutException) {
            return "timed out";
        }
        if (cause instanceof RemoteException remote) {
            return remote.code() + ": " + remote.getMessage();
        }
        return cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
    }

}
