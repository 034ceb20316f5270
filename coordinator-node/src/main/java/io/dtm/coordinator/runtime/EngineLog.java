package io.dtm.coordinator.runtime;

import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;

import java.util.concurrent.CompletableFuture;

/**
 * The replicated log as a {@link CoordinatorEngine} uses it: appends proposed in the engine's term
 * (the log fences them once another leader has taken over) and linearizable reads. A failed future
 * means "not known" (no leader, a timeout): the engine tries again; appends are idempotent.
 */
public interface EngineLog {
    /** Appends one record; completes with what became of it once applied. */
    CompletableFuture<RecordResult> append(TxnRecord record);

    /** The state of one attempt, read linearizably. */
    CompletableFuture<TxnState> read(String attemptId);

    /** The engine stopped: nothing more will be appended. */
    void close();
}
