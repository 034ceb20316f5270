package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.List;

/**
 * What one event makes the core ask of the runtime, in order: the {@link Action}s it returns. The
 * only place that builds log records, so every record the core proposes reads the same.
 */
final class Outbox {
    private final List<Action> actions = new ArrayList<>();
    private final String proposer;

    Outbox(String proposer) {
        this.proposer = proposer;
    }

    List<Action> actions() {
        return actions;
    }

    void begin(Attempt attempt, List<String> serviceIds) {
        append(attempt.attemptId, LogRecords.begin(attempt.attemptId, serviceIds, attempt.deadlineMs, attempt.digest,
                attempt.runId));
    }

    /** A Decide to append now or later ({@code forgotten}: it only undoes a re-run of a forgotten attempt). */
    TxnRecord decision(String attemptId, Outcome outcome, String reason, boolean forgotten) {
        return LogRecords.decide(attemptId, outcome, reason, proposer, forgotten);
    }

    void end(String attemptId) {
        append(attemptId, LogRecords.end(attemptId));
    }

    void append(String attemptId, TxnRecord record) {
        actions.add(new Action.Append(attemptId, record));
    }

    void prepare(ServiceName service, Prepare prepare) {
        actions.add(new Action.SendPrepare(service, prepare));
    }

    void commit(ServiceName service, String attemptId) {
        actions.add(new Action.SendCommit(service, attemptId));
    }

    void rollback(ServiceName service, Attempt attempt, boolean fence) {
        actions.add(new Action.SendRollback(service, attempt.attemptId, fence, attempt.runId));
    }

    void readLog(String attemptId) {
        actions.add(new Action.ReadLog(attemptId));
    }

    void reply(String tid, SubmitResult result, String abortKind) {
        actions.add(new Action.Reply(tid, result, abortKind));
    }

    void alarm(String attemptId, String message) {
        actions.add(new Action.Alarm(attemptId, message));
    }

    void deposed(String detail) {
        actions.add(new Action.Deposed(detail));
    }
}
