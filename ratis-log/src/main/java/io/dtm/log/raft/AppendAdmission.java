package io.dtm.log.raft;

import io.dtm.protocol.log.RecordBatch;

import java.util.Optional;

/**
 * What the leader lets into the log (checked before the append, in
 * {@link TxnStateMachine#startTransaction}): records only from its own path, the coordinator and
 * the in-doubt resolver of its current term, which hand their entries to the Raft server in
 * process ({@link LocalProposal}) stamped with that term. A Raft client — any holder of a node
 * certificate that reaches the Raft port, a tool, a stale process — may send clock reports (no
 * records) and probes (applied to nothing), nothing else. Pure: no I/O.
 *
 * <p>Only admission is checked here, never application: an entry already in the log replays the
 * same way on every replica, whatever rule admitted it.
 */
public final class AppendAdmission {
    private AppendAdmission() {
    }

    /**
     * Why {@code batch} may not be appended, or empty when it may.
     *
     * @param local whether it came from this server's own process ({@link LocalProposal}), not over
     *              the Raft client port
     */
    public static Optional<String> refusal(RecordBatch batch, boolean local) {
        if (batch.getRecordsCount() == 0 || batch.getProbe()) {
            return Optional.empty();
        }
        if (!local) {
            return Optional.of("records are taken only from the leader's own coordinator and in-doubt resolver; a Raft"
                    + " client sent " + batch.getRecordsCount() + " (only clock reports and probes may come that way)");
        }
        if (batch.getProposerTerm() <= 0) {
            return Optional.of("records without a proposer term (" + batch.getProposerTerm() + ") are refused");
        }
        return Optional.empty();
    }
}
