package io.dtm.participant;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.Rollback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Finishes transactions that stayed PREPARED longer than the in-doubt timeout: their coordinator
 * went quiet (crashed, partitioned, or just slow). For each, it asks the log for the outcome; if
 * none is logged it proposes ABORT, and applies whichever outcome stands. Safe against a racing
 * coordinator because the log keeps only the first decision.
 *
 * <p>{@link #resolveOnce()} does one round; the server calls it on a timer, tests call it directly
 * with a fake clock.
 */
public final class InDoubtResolver {
    private static final Logger LOG = LoggerFactory.getLogger(InDoubtResolver.class);
    /** Attempts asked about at once; the rest wait for the next round. */
    static final int MAX_IN_FLIGHT = 64;

    private final String name;
    private final ParticipantEngine engine;
    private final DecisionSource decisions;
    private final long inDoubtTimeoutMs;
    private final LongSupplier clockMs;
    private final Set<String> resolving = ConcurrentHashMap.newKeySet();

    InDoubtResolver(String name, ParticipantEngine engine, DecisionSource decisions, long inDoubtTimeoutMs,
            LongSupplier clockMs) {
        this.name = name;
        this.engine = engine;
        this.decisions = decisions;
        this.inDoubtTimeoutMs = inDoubtTimeoutMs;
        this.clockMs = clockMs;
    }

    /** Starts resolving every attempt in doubt now; completes when each has been tried once. */
    CompletableFuture<Void> resolveOnce() {
        long cutoff = clockMs.getAsLong() - inDoubtTimeoutMs;
        return engine.read(core -> core.preparedSince(cutoff)).thenCompose(this::resolveAll);
    }

    private CompletableFuture<Void> resolveAll(List<ParticipantCore.InDoubt> inDoubt) {
        CompletableFuture<?>[] rounds = inDoubt.stream()
                .filter(d -> resolving.size() < MAX_IN_FLIGHT && resolving.add(d.tid()))
                .map(d -> resolve(d).whenComplete((r, e) -> resolving.remove(d.tid())))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(rounds);
    }

    private CompletableFuture<Void> resolve(ParticipantCore.InDoubt attempt) {
        String tid = attempt.tid();
        return decisions.state(tid)
                .thenCompose(state -> state.getOutcome() == Outcome.UNDECIDED && state.getStatus() != TxnStatus.FORGOTTEN
                        ? decisions.proposeAbort(tid, name + ": no decision after " + inDoubtTimeoutMs + " ms in doubt")
                        : CompletableFuture.completedFuture(state))
                .thenCompose(state -> apply(tid, outcomeFor(attempt, state)))
                .exceptionally(e -> {
                    LOG.warn("[{}] {} is in doubt and the log cannot be asked now ({}); will retry", name, tid,
                            e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
                    return null;
                });
    }

    private Outcome outcomeFor(ParticipantCore.InDoubt attempt, TxnState state) {
        Outcome outcome = outcomeFor(name, attempt.requestDigest(), state);
        if (state.getOutcome() == Outcome.COMMIT && outcome == Outcome.ABORT) {
            LOG.warn("[{}] {} prepared for another request than the one the log committed under that id;"
                    + " rolling it back", name, attempt.tid());
        }
        return outcome;
    }

    /**
     * The outcome that applies to a prepare of {@code service} with {@code requestDigest}, given the
     * attempt's state in the log. A logged COMMIT applies only to a prepare that belongs to the logged
     * transaction: this service among its participants (when the log still knows them) and the same
     * request digest. A prepare sent under a reused tid with another request would otherwise ride on
     * the original's COMMIT. Pure: the deterministic simulation of the protocol uses it too.
     */
    public static Outcome outcomeFor(String service, long requestDigest, TxnState state) {
        if (state.getStatus() == TxnStatus.FORGOTTEN) {
            // The attempt ended long ago and every participant of that run finished it: what is still
            // prepared under its id is a stray PREPARE of no run that can commit (its Begin is refused).
            return Outcome.ABORT;
        }
        if (state.getOutcome() != Outcome.COMMIT) {
            return state.getOutcome();
        }
        boolean listed = state.getParticipantsCount() == 0 || state.getParticipantsList().contains(service);
        boolean sameRequest = state.getRequestDigest() == 0 || requestDigest == 0
                || state.getRequestDigest() == requestDigest;
        return listed && sameRequest ? Outcome.COMMIT : Outcome.ABORT;
    }

    private CompletableFuture<Void> apply(String tid, Outcome outcome) {
        ParticipantRequest request = switch (outcome) {
            case COMMIT -> ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setTid(tid)).build();
            case ABORT -> ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder().setTid(tid)).build();
            default -> throw new IllegalStateException(tid + ": the log answered " + outcome + " to an ABORT proposal");
        };
        LOG.info("[{}] {} was in doubt; the log says {}: applying it", name, tid, outcome);
        return engine.submitInternal(request).thenAccept(reply -> {
            if (reply.hasError()) {
                LOG.error("[{}] applying {} to in-doubt {} failed: {}", name, outcome, tid, reply.getError().getMessage());
            }
        });
    }
}
