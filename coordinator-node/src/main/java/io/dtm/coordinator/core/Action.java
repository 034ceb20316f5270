package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.rpc.SubmitResult;

/**
 * What the core asks the runtime to do. The runtime does it asynchronously and reports back with
 * the matching event ({@code beginApplied}, {@code voted}, ...): the core itself never waits.
 */
public sealed interface Action {

    /** Append a record to the log (Begin, Decide or End of {@code attemptId}). */
    record Append(String attemptId, TxnRecord record) implements Action {
    }

    record SendPrepare(ServiceName service, Prepare prepare) implements Action {
    }

    record SendCommit(ServiceName service, String attemptId) implements Action {
    }

    /**
     * {@code fence}: roll back unless committed (one-phase commit), and say which. {@code runId}: the
     * attempt's run (Begin.run_id), so that a participant can tell a re-run from its own.
     */
    record SendRollback(ServiceName service, String attemptId, boolean fence, long runId) implements Action {
    }

    /** Read an attempt's state from the log (a resubmitted tid: which attempt was the last?). */
    record ReadLog(String attemptId) implements Action {
    }

    /**
     * The outcome of {@code tid} is known: answer everyone waiting for it. {@code abortKind} says in
     * a word why it aborted (NO vote code, TIMEOUT, DEADLINE, FAILOVER, LOCKED, ...), "" otherwise.
     */
    record Reply(String tid, SubmitResult result, String abortKind) implements Action {
    }

    /** Something that must never happen did (a participant contradicts the log): log it loudly. */
    record Alarm(String attemptId, String message) implements Action {
    }

    /** The log fenced this coordinator's records: another leader took over. Stop coordinating. */
    record Deposed(String detail) implements Action {
    }
}
