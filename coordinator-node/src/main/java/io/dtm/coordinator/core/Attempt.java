package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.rpc.ParticipantResult;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One attempt of a transaction ({@code tid#n}): its own Begin, votes, write-once decision, phase 2
 * and End. Mutable, owned by the core's single thread.
 */
final class Attempt {
    final String attemptId;
    final String tid;
    final int number;
    final List<ServiceName> services;
    final long deadlineMs;
    final long digest;
    /** Begin.run_id: names this run of the attempt id at the participants (see ParticipantCore). */
    final long runId;
    /**
     * A participant had finished this attempt id in an earlier run, whose outcome the log no longer
     * holds: this run is aborted with its ABORT marked forgotten, and only undoes itself.
     */
    boolean forgotten;
    /** What said so (a participant's message, or the log's). */
    String forgottenWhy;
    /** A single participant: it prepares and commits in one step and is the decider. */
    final boolean onePhase;
    AttemptPhase phase;
    /** A participant answered this run's PREPARE, fence or phase 2 (it remembers the attempt). */
    boolean heardFrom;
    /** An ABORT nobody answered waits for the first phase-2 acknowledgement before its client hears it. */
    boolean answerAwaitsAck;
    /** ...or for so long only (see CoordinatorCore#finishOrRetry). */
    boolean answerWaitOver;
    /** One-phase: the participant voted YES, that is, committed. */
    boolean committedByParticipant;
    /** One-phase, while fencing: why the attempt would abort if the participant did not commit. */
    String fenceReason = "";
    String fenceKind = "";

    /** Begin is committed in the log (a COMMIT may be decided, and phase 2 begin, only then). */
    boolean beginCommitted;
    /**
     * Begin's result said the log never decided this id (Begin applied as new while the log's memory
     * of forgotten ids is complete): a participant's earlier run of it never reached the log.
     */
    boolean neverDecided;
    /** A participant's NO in an earlier run of this id, as this run's reason should that run prove lost. */
    String lostRunReason;
    String lostRunKind;
    /**
     * A Decide taken while Begin's result is still unknown, held back until it comes: if Begin is
     * refused (the id belongs to another request under a reused tid), it is never sent.
     */
    io.dtm.protocol.log.TxnRecord pendingDecision;
    final Map<ServiceName, Vote> votes = new EnumMap<>(ServiceName.class);
    final Map<ServiceName, String> errors = new EnumMap<>(ServiceName.class);
    final Map<ServiceName, Integer> prepareSends = new EnumMap<>(ServiceName.class);

    /** The outcome that stands in the log once decided, and why. */
    Outcome outcome = Outcome.UNDECIDED;
    String reason = "";
    /** Kind of the abort, for the retry decision and metrics (LOCKED, NO_VOTE, TIMEOUT, ...). */
    String abortKind = "";

    /**
     * A LOCKED vote made this attempt give way to the next: the next attempt's Begin goes first, and
     * this attempt's ABORT (for {@code retryReason}) only once that Begin is in the log, so that a
     * reader walking the tid's attempts never takes this ABORT for the tid's last word.
     */
    boolean givingWay;
    String retryReason = "";
    /** When the successor's PREPAREs go out (the end of the lock backoff). */
    long retryAtMs;
    /** For an attempt begun ahead of its PREPAREs: the attempt that gives way to it, still to be aborted. */
    Attempt predecessor;
    /** For an attempt begun ahead of its PREPAREs: when they go out (after the lock backoff). */
    long prepareAtMs;
    /**
     * For an attempt begun ahead of its PREPAREs: the attempt before it, whose ROLLBACKs must all be
     * acknowledged first, so that the two never meet at a participant (the new one would find the
     * old one's holds: LOCKED, or the old one's pending order: DUPLICATE_ORDER).
     */
    Attempt after;
    /** The attempt that gave way to this one, if one did (see {@link #after}). */
    Attempt successor;

    /** The outcome came from the log, not from this leader's votes (a resubmitted tid). */
    boolean fromLog;
    /** The log has no later attempt of this tid: its outcome is the tid's (checked before answering with an ABORT). */
    boolean lastConfirmed;

    final Set<ServiceName> awaitingAck = EnumSet.noneOf(ServiceName.class);
    final Map<ServiceName, Integer> phase2Sends = new EnumMap<>(ServiceName.class);

    Attempt(String attemptId, String tid, int number, List<ServiceName> services, long deadlineMs, long digest,
            long runId, AttemptPhase phase) {
        this.attemptId = attemptId;
        this.tid = tid;
        this.number = number;
        this.services = List.copyOf(services);
        this.deadlineMs = deadlineMs;
        this.digest = digest;
        this.runId = runId;
        this.phase = phase;
        this.onePhase = services.size() == 1;
    }

    void moveTo(AttemptPhase next) {
        phase = next.from(phase, attemptId);
    }

    boolean allVotedYes() {
        if (votes.size() != services.size()) {
            return false;
        }
        for (Vote vote : votes.values()) { // a loop, not a stream: called on every vote (1% of the leader's CPU)
            if (!vote.getYes()) {
                return false;
            }
        }
        return true;
    }

    /** Services that neither voted nor failed yet. */
    List<String> waitingFor() {
        List<String> out = new ArrayList<>();
        for (ServiceName s : services) {
            if (!votes.containsKey(s) && !errors.containsKey(s)) {
                out.add(s.id());
            }
        }
        return out;
    }

    /** Each service's answer, for the client (none when the outcome came from the log). */
    List<ParticipantResult> results() {
        List<ParticipantResult> out = new ArrayList<>();
        if (fromLog) {
            return out;
        }
        for (ServiceName s : services) {
            ParticipantResult.Builder r = ParticipantResult.newBuilder().setService(s.id());
            Vote vote = votes.get(s);
            if (vote != null) {
                r.setVote(vote);
            } else {
                r.setError(errors.getOrDefault(s, "no vote before the decision"));
            }
            out.add(r.build());
        }
        return out;
    }
}
