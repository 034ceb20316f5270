package io.dtm.coordinator.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.log.LogRecords;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Two-phase commit on the leader, as a pure state machine: every event (a submit, a vote, a log
 * result, a failure, the clock) changes the in-memory state and returns the {@link Action}s to take
 * (append a record, send a message, answer the client). No I/O, no threads, no clock of its own; the
 * runtime calls it from one thread and feeds the results of the actions back as events.
 *
 * <p>Per attempt: Begin appended and PREPAREs sent at once; all YES and Begin committed → Decide
 * COMMIT; any NO, a participant given up on, or the deadline → Decide ABORT; the client is answered
 * when the decision is applied, and only then do COMMITs or ROLLBACKs go out, resent until
 * acknowledged; then End. A LOCKED vote aborts the attempt and, while the attempt budget and the
 * deadline allow, starts the next one ({@code tid#n+1}) after a backoff.
 *
 * <p>Safety does not rest on this class alone: the log keeps the first decision of every attempt and
 * fences the records of a deposed leader, so whatever this core proposes, phase 2 follows the log.
 */
public final class CoordinatorCore {
    /** Why an attempt aborted, in a word: the retry decision and the metrics use it. */
    public static final String LOCKED = "LOCKED";
    /** The kind of an abort that only undid a re-run of a tid whose outcome is no longer retained. */
    public static final String FORGOTTEN = "FORGOTTEN";
    /** The kind of an abort for a NO a participant gave in an earlier run that never reached the log. */
    public static final String EARLIER_RUN = "EARLIER_RUN";

    private final CoordinatorSettings settings;
    private final Random jitter;
    private final Map<String, Txn> txns = new HashMap<>();
    private final Map<String, Attempt> attempts = new HashMap<>();
    private final LinkedHashMap<String, Finished> finished;
    private final Timers timers = new Timers();
    /** Attempts whose ABORT this leader is marking forgotten, until the mark is in the log (they may have ended meanwhile). */
    private final Map<String, Attempt> marking = new HashMap<>();
    /** Open invariant violations by "attemptId service", in the order they were found. */
    private final Map<String, Violation> violations = new LinkedHashMap<>();
    /** Bumped on every change of {@link #violations}: the runtime copies them out only then. */
    private int violationsVersion;
    /** Transactions whose answer is still to come (the admission count). */
    private int unanswered;
    /** Per service, the attempts waiting for its COMMIT, ROLLBACK or fence acknowledgement. */
    private final Map<ServiceName, Integer> phase2Backlog = new java.util.EnumMap<>(ServiceName.class);

    /**
     * A finished transaction's answer, kept for resubmissions, which are rare. Serialised: 267 B
     * instead of an object graph of 683 (CoordinatorCoreFootprintTest), and one object for the
     * collector to trace instead of dozens, in the cache that was most of the leader's old generation.
     */
    private record Finished(long digest, byte[] result) {
        static Finished of(long digest, SubmitResult result) {
            return new Finished(digest, result.toByteArray());
        }

        SubmitResult answer() {
            try {
                return SubmitResult.parseFrom(result);
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("a kept answer does not parse", e);
            }
        }
    }

    /** What became of a submission. */
    public sealed interface Submitted {
    }

    /** Two-phase commit started; its answer comes as a {@link Action.Reply}. */
    public record Started(List<Action> actions) implements Submitted {
    }

    /** The tid is running already; its answer comes as a {@link Action.Reply}. */
    public record Joined() implements Submitted {
    }

    /** The answer is known at once (a finished tid, or a rejection, or overload). */
    public record Answered(SubmitResult result, boolean overloaded) implements Submitted {
    }

    public CoordinatorCore(CoordinatorSettings settings, Random jitter) {
        this.settings = settings;
        this.jitter = jitter;
        this.finished = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Finished> eldest) {
                return size() > settings.resultCacheSize();
            }
        };
    }

    // ------------------------------------------------------------------ submit

    /** A client's request, validated already. */
    public Submitted submit(TxnRequest request, long nowMs) {
        String tid = request.tid();
        Txn running = txns.get(tid);
        if (running != null && sameDigest(running.digest, request.digest())) {
            return running.answered ? new Answered(running.result, false) : new Joined();
        }
        Finished done = finished.get(tid);
        if (done != null) {
            return sameDigest(done.digest, request.digest()) ? new Answered(done.answer(), false)
                    : new Answered(rejected(tid, "tid " + tid + " was used for a different request"), false);
        }
        if (running != null) {
            if (running.established) {
                return new Answered(rejected(tid, "tid " + tid + " is running with a different request"), false);
            }
            // Two requests race for the tid and the log has not said whose it is yet (or the other
            // one is about to learn it is not its): no final answer can be given now.
            return new Answered(SubmitResult.newBuilder().setTid(tid).setStatus(SubmitResult.Status.OVERLOADED)
                    .setReason("tid " + tid + " is being claimed by a different request right now; retry shortly")
                    .build(), true);
        }
        Optional<String> overload = overload(request);
        if (overload.isPresent()) {
            return new Answered(SubmitResult.newBuilder().setTid(tid).setStatus(SubmitResult.Status.OVERLOADED)
                    .setReason(overload.get()).build(), true);
        }
        Txn txn = new Txn(tid, request, request.digest(), nowMs + request.timeoutMs(), request.maxAttempts());
        txns.put(tid, txn);
        unanswered++;
        timers.at(txn.deadlineMs, Timers.Kind.DEADLINE, tid);
        List<Action> actions = new ArrayList<>();
        startAttempt(txn, 1, nowMs, actions);
        return new Started(actions);
    }

    /**
     * Admission. Only transactions still waiting for their answer count against {@code maxInFlight}:
     * answered ones finishing phase 2 hold no client and must not starve new work when one
     * participant stops acknowledging. Their memory is bounded per service instead: past
     * {@code maxInFlight} decided attempts waiting for one service, new transactions that need it
     * are turned away (the others still run).
     */
    private Optional<String> overload(TxnRequest request) {
        if (unanswered >= settings.maxInFlight()) {
            return Optional.of("overloaded: " + unanswered + " transactions waiting for their outcome (at most "
                    + settings.maxInFlight() + "); retry later");
        }
        for (ServiceName service : request.prepares().keySet()) {
            int backlog = phase2Backlog.getOrDefault(service, 0);
            if (backlog >= settings.maxInFlight()) {
                return Optional.of("overloaded: " + service.id() + " has not acknowledged the outcome of " + backlog
                        + " decided transactions; retry later");
            }
        }
        return Optional.empty();
    }

    /**
     * A LOCKED vote on an attempt whose Begin is in the log: the next attempt is begun now (its
     * Begin first, its PREPAREs after the lock backoff), and this one is aborted once that Begin is
     * in the log too.
     */
    private void beginSuccessor(Txn txn, Attempt attempt, List<Action> actions) {
        int number = attempt.number + 1;
        String attemptId = TxnIds.attemptId(txn.tid, number);
        Attempt next = new Attempt(attemptId, txn.tid, number, txn.request.services(), txn.deadlineMs, txn.digest,
                nextRunId(), AttemptPhase.PREPARING);
        next.predecessor = attempt;
        next.after = attempt;
        attempt.successor = next;
        next.prepareAtMs = attempt.retryAtMs;
        txn.current = next;
        attempts.put(attemptId, next);
        actions.add(new Action.Append(attemptId, LogRecords.begin(attemptId, txn.request.serviceIds(), txn.deadlineMs,
                txn.digest, next.runId)));
    }

    /**
     * The PREPAREs of an attempt begun ahead go out once its Begin is in the log, the lock backoff
     * is over, and the attempt before it has finished its ROLLBACKs.
     */
    private void prepareSuccessor(Attempt a, long nowMs, List<Action> actions) {
        boolean previousDone = a.after == null || a.after.phase == AttemptPhase.ENDING
                || a.after.phase == AttemptPhase.ENDED;
        if (a.phase != AttemptPhase.PREPARING || !a.prepareSends.isEmpty() || !a.beginCommitted
                || a.predecessor != null || nowMs < a.prepareAtMs || !previousDone) {
            return;
        }
        if (a.after != null && a.after.forgotten) {
            // The attempt before it had run before: so has the tid, whose outcome is lost. A new
            // attempt must not run in its place.
            earlierRun(a, a.after.forgottenWhy, actions);
            return;
        }
        a.services.forEach(service -> sendPrepare(a, service, actions));
    }

    /** The successor's Begin is in the log: abort the attempt that gave way, and schedule the PREPAREs. */
    private void abortPredecessor(Attempt next, List<Action> actions) {
        Attempt previous = next.predecessor;
        next.predecessor = null;
        if (previous.phase == AttemptPhase.PREPARING) {
            decide(previous, Outcome.ABORT, previous.retryReason, LOCKED, actions);
        }
        timers.at(next.prepareAtMs, Timers.Kind.NEXT_ATTEMPT, next.tid);
    }

    private void startAttempt(Txn txn, int number, long nowMs, List<Action> actions) {
        TxnRequest request = txn.request;
        String attemptId = TxnIds.attemptId(txn.tid, number);
        Attempt attempt = new Attempt(attemptId, txn.tid, number, request.services(), txn.deadlineMs, txn.digest,
                nextRunId(), AttemptPhase.PREPARING);
        txn.current = attempt;
        attempts.put(attemptId, attempt);
        // Begin and the PREPAREs go out together: the fault-free path waits for two forced writes in
        // sequence (the votes, then the decision), not three. A COMMIT still waits for Begin.
        actions.add(new Action.Append(attemptId, LogRecords.begin(attemptId, request.serviceIds(), txn.deadlineMs,
                txn.digest, attempt.runId)));
        if (attempt.onePhase) {
            // One-phase commit waits for Begin: the participant commits as it votes, so the id must be
            // known to be this request's (not a reused tid's) before anything can commit under it.
            return;
        }
        for (ServiceName service : attempt.services) {
            sendPrepare(attempt, service, actions);
        }
    }

    private void sendPrepare(Attempt attempt, ServiceName service, List<Action> actions) {
        attempt.prepareSends.merge(service, 1, Integer::sum);
        actions.add(new Action.SendPrepare(service, txns.get(attempt.tid).request.prepare(service, attempt.attemptId)
                .toBuilder().setOnePhase(attempt.onePhase).setRunId(attempt.runId).build()));
    }

    // ------------------------------------------------------------------ phase 1

    /**
     * Begin's result says whose the attempt id is. Until it comes, nothing is proposed for the
     * attempt (a decision taken meanwhile waits in {@link Attempt#pendingDecision}): under a reused
     * tid the id may be another request's, and a Decide or a fence sent under it would act on that
     * request's transaction.
     */
    public List<Action> beginApplied(String attemptId, RecordResult result, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null || attempt.beginCommitted) {
            return actions; // a retried append's second result, or an attempt settled meanwhile
        }
        switch (result.getDisposition()) {
            case FENCED -> actions.add(new Action.Deposed(result.getDetail()));
            case REFUSED -> {
                if (result.getStatus() == TxnStatus.FORGOTTEN) {
                    beginForgotten(attempt, result.getReason(), nowMs, actions);
                    return actions;
                }
                if (attempt.predecessor != null) {
                    Attempt previous = attempt.predecessor;
                    attempt.predecessor = null;
                    decide(previous, Outcome.ABORT, previous.retryReason, LOCKED, actions);
                }
                // The same tid with another request: the client's error. No phase 2 — whatever the log
                // holds under this id is the other request's; what this request prepared under it
                // resolves through the log's digest (participants check it).
                attempts.remove(attemptId);
                Txn txn = txns.remove(attempt.tid);
                reply(txn, rejected(attempt.tid, "tid " + attempt.tid + " was used for a different request"),
                        "REJECTED", actions);
            }
            case APPLIED, DUPLICATE -> begun(attempt, result, nowMs, actions);
            case UNRECOGNIZED -> throw new IllegalStateException("unknown disposition for " + attemptId);
        }
        return actions;
    }

    private void begun(Attempt attempt, RecordResult result, long nowMs, List<Action> actions) {
        attempt.beginCommitted = true;
        attempt.neverDecided = result.getNeverDecided();
        Txn claimant = txns.get(attempt.tid);
        if (claimant != null) {
            claimant.established = true; // the log took this Begin as this request's
        }
        if (attempt.predecessor != null) {
            abortPredecessor(attempt, actions);
            if (result.getOutcome() == Outcome.UNDECIDED && attempt.phase == AttemptPhase.PREPARING) {
                return; // its PREPAREs wait for the backoff
            }
        }
        if (result.getOutcome() != Outcome.UNDECIDED) {
            // This attempt was decided before this leader began it (a resubmitted tid, or an in-doubt
            // participant's ABORT that reached the log first): the log's word stands, whatever this
            // leader meant to propose.
            attempt.pendingDecision = null;
            attempt.forgotten = result.getForgotten(); // the log knew this run's outcome: no evidence stands
            adoptStandingOutcome(attempt, result.getOutcome(), result.getReason(),
                    result.getStatus() == TxnStatus.ENDED, nowMs, actions);
            return;
        }
        if (attempt.phase == AttemptPhase.DECIDING) {
            TxnRecord decision = attempt.pendingDecision;
            attempt.pendingDecision = null;
            if (attempt.forgotten && attempt.neverDecided) {
                // The evidence of an earlier run came before Begin's result, which says that run never
                // reached the log: a plain ABORT for the participant's NO, nothing forgotten.
                attempt.forgotten = false;
                attempt.abortKind = lostRunKind(attempt);
                decision = LogRecords.decide(attempt.attemptId, Outcome.ABORT,
                        lostRunReason(attempt, attempt.forgottenWhy), settings.proposer(), false);
                attempt.forgottenWhy = null;
                attempt.heardFrom = true;
            }
            actions.add(new Action.Append(attempt.attemptId, decision));
            return;
        }
        Txn owner = txns.get(attempt.tid);
        if (attempt.givingWay && owner != null && owner.current == attempt) {
            beginSuccessor(owner, attempt, actions); // a LOCKED vote came before this Begin's result
        } else if (attempt.onePhase && attempt.prepareSends.isEmpty()) {
            sendPrepare(attempt, attempt.services.get(0), actions);
        } else if (attempt.onePhase && attempt.committedByParticipant) {
            committedInOnePhase(attempt, nowMs, actions);
        } else if (attempt.allVotedYes()) {
            decide(attempt, Outcome.COMMIT, "", "", actions);
        }
    }

    public List<Action> voted(String attemptId, ServiceName service, Vote vote, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt attempt = attempts.get(attemptId);
        if (attempt != null && vote.getCode() == VoteCode.EARLIER_RUN) {
            if (vote.hasEarlierVote() && !vote.getEarlierVote().getYes() && attempt.lostRunReason == null) {
                // Should that run prove never to have reached the log, its NO is this run's, word for word.
                Vote earlier = vote.getEarlierVote();
                attempt.lostRunReason = service.id() + ": " + earlier.getCode() + ": " + earlier.getMessage();
                attempt.lostRunKind = earlier.getCode().name();
            }
            earlierRun(attempt, vote.getMessage() + ", and the log holds no outcome of it", actions);
            return actions;
        }
        if (attempt == null || attempt.phase != AttemptPhase.PREPARING || attempt.votes.containsKey(service)) {
            return actions;
        }
        if (attempt.givingWay) {
            return actions; // its successor is already on its way; this attempt will abort
        }
        attempt.votes.put(service, vote);
        attempt.heardFrom = true;
        attempt.errors.remove(service);
        if (!vote.getYes()) {
            String kind = vote.getCode() == VoteCode.LOCKED ? LOCKED : vote.getCode().name();
            String reason = service.id() + ": " + vote.getCode() + ": " + vote.getMessage();
            Txn txn = txns.get(attempt.tid);
            long nextAt = nowMs + lockBackoff(attempt.number);
            if (LOCKED.equals(kind) && txn != null && txn.request != null && txn.current == attempt
                    && attempt.number < txn.maxAttempts && nextAt < txn.deadlineMs) {
                attempt.givingWay = true;
                attempt.retryReason = reason;
                attempt.retryAtMs = nextAt;
                if (attempt.beginCommitted) {
                    beginSuccessor(txn, attempt, actions);
                }
                // Otherwise Begin's result says whose the tid is: this request's (the successor
                // follows) or another's (REJECTED, and no successor under a tid that is not ours).
            } else {
                decide(attempt, Outcome.ABORT, reason, kind, actions);
            }
        } else if (attempt.onePhase) {
            attempt.committedByParticipant = true;
            if (attempt.beginCommitted) {
                committedInOnePhase(attempt, nowMs, actions);
            }
        } else if (attempt.allVotedYes() && attempt.beginCommitted) {
            decide(attempt, Outcome.COMMIT, "", "", actions);
        }
        return actions;
    }

    /**
     * A participant had finished this attempt id in an earlier run (an EARLIER_RUN vote, or an
     * acknowledgement that says so). Had the log held that run's outcome, it would have answered this
     * Begin with it, or refused it as FORGOTTEN: so the tid ran before and its outcome is lost. This
     * run must not stand for the tid: it aborts with its ABORT marked forgotten (only undoing this
     * run), and the client hears "no longer retained", unless a later attempt's outcome is still in
     * the log. An attempt whose outcome this leader adopted from the log needs none of this: the log
     * knew it.
     */
    private void earlierRun(Attempt attempt, String why, List<Action> actions) {
        if (attempt.fromLog || attempt.forgotten) {
            return;
        }
        if (attempt.beginCommitted && attempt.neverDecided) {
            lostRun(attempt, why, actions);
            return;
        }
        attempt.forgotten = true;
        attempt.forgottenWhy = why;
        switch (attempt.phase) {
            case PREPARING -> {
                if (!attempt.givingWay) {
                    decide(attempt, Outcome.ABORT, why, FORGOTTEN, actions);
                } // else its ABORT (when its successor's Begin is in) carries the mark, and the successor never prepares
            }
            case DECIDING -> {
                if (attempt.pendingDecision != null) {
                    attempt.pendingDecision = LogRecords.decide(attempt.attemptId, Outcome.ABORT, why,
                            settings.proposer(), true);
                } // else the decision in flight is marked when it comes back (applyDecision)
            }
            case FENCING -> {
            } // the fence's answer decides, with the mark
            case ROLLING_BACK, ENDING, ENDED -> markForgotten(attempt, why, actions);
            case COMMITTING -> actions.add(new Action.Alarm(attempt.attemptId, "committing, yet " + why
                    + ": a participant that finished an earlier run never votes YES for this one"));
        }
    }

    /**
     * The earlier run a participant speaks of never reached the log: Begin's result said the log never
     * decided this id (and its memory of forgotten ids is complete, so it would know). Its leader died
     * before its Begin was logged; the participant voted NO in it (a run that finished needs a decision
     * in the log). That NO stands for this run too: an ordinary ABORT, not a lost outcome.
     */
    private void lostRun(Attempt attempt, String why, List<Action> actions) {
        attempt.heardFrom = true;
        if (attempt.phase == AttemptPhase.PREPARING && !attempt.givingWay) {
            decide(attempt, Outcome.ABORT, lostRunReason(attempt, why), lostRunKind(attempt), actions);
        }
    }

    private static String lostRunReason(Attempt attempt, String why) {
        return attempt.lostRunReason != null ? attempt.lostRunReason
                : why.replace(", and the log holds no outcome of it", ", whose Begin never reached the log");
    }

    private static String lostRunKind(Attempt attempt) {
        return attempt.lostRunKind != null ? attempt.lostRunKind : EARLIER_RUN;
    }

    /**
     * Marks the ABORT of an attempt already decided (this leader's plain ABORT) forgotten in the log.
     * Its client, if still waiting, hears "no longer retained" once the mark is in (see decideApplied).
     */
    private void markForgotten(Attempt attempt, String why, List<Action> actions) {
        marking.put(attempt.attemptId, attempt);
        actions.add(new Action.Append(attempt.attemptId,
                LogRecords.decide(attempt.attemptId, Outcome.ABORT, why, settings.proposer(), true)));
    }

    /**
     * The log refused Begin: the attempt id is FORGOTTEN (it ended long ago). Nothing of this run
     * can commit. The tid's answer is a later attempt's, if the log still has one, or "no longer
     * retained".
     */
    private void beginForgotten(Attempt attempt, String why, long nowMs, List<Action> actions) {
        attempt.beginCommitted = true;
        attempt.pendingDecision = null;
        if (attempt.predecessor != null) {
            Attempt previous = attempt.predecessor;
            attempt.predecessor = null;
            earlierRun(previous, why, actions); // the id after it ran before: so did it
            decide(previous, Outcome.ABORT, previous.retryReason, LOCKED, actions);
        }
        standsForgotten(attempt, why, nowMs, actions);
    }

    /**
     * One-phase commit: the only participant committed and Begin is in the log, so the outcome is
     * settled. The Decide records it, and the client hears it once the Decide is in the log, so that
     * no status read after the answer can say "no decision yet". Should this leader die first, the
     * next one fences the participant and learns the same.
     */
    private void committedInOnePhase(Attempt attempt, long nowMs, List<Action> actions) {
        decide(attempt, Outcome.COMMIT, "", "", actions);
    }

    /** One-phase: the participant's answer was lost; settle whether it committed before deciding. */
    private void fence(Attempt attempt, String reason, String kind, List<Action> actions) {
        attempt.moveTo(AttemptPhase.FENCING);
        attempt.fenceReason = reason;
        attempt.fenceKind = kind;
        awaitAcks(attempt);
        for (ServiceName service : attempt.services) {
            sendPhase2(attempt, service, actions);
        }
    }

    /** The transaction cannot commit: decide ABORT, or for one-phase, find out first whether it did. */
    private void abortOrFence(Attempt attempt, String reason, String kind, List<Action> actions) {
        // A one-phase PREPARE goes out only once Begin is in the log (by this leader, or by an earlier
        // one for an attempt recovered from the log): before that, nothing can have committed.
        if (attempt.onePhase && attempt.beginCommitted) {
            fence(attempt, reason, kind, actions);
        } else {
            decide(attempt, Outcome.ABORT, reason, kind, actions);
        }
    }

    /** A PREPARE got no answer (timeout, lost connection, error reply). */
    public List<Action> prepareFailed(String attemptId, ServiceName service, String error, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null || attempt.phase != AttemptPhase.PREPARING || attempt.votes.containsKey(service)) {
            return actions;
        }
        int sent = attempt.prepareSends.getOrDefault(service, 0);
        attempt.errors.put(service, error + " after " + sent + " attempt" + (sent == 1 ? "" : "s"));
        if (sent >= settings.prepareAttempts()) {
            abortOrFence(attempt, service.id() + ": " + attempt.errors.get(service), "TIMEOUT", actions);
        } else {
            timers.at(nowMs + backoff(sent), Timers.Kind.PREPARE_RETRY, attemptId, service);
        }
        return actions;
    }

    private void decide(Attempt attempt, Outcome outcome, String reason, String kind, List<Action> actions) {
        attempt.moveTo(AttemptPhase.DECIDING);
        attempt.abortKind = kind;
        TxnRecord decision = LogRecords.decide(attempt.attemptId, outcome, reason, settings.proposer(),
                attempt.forgotten);
        if (!attempt.beginCommitted) {
            // Only an ABORT gets here (a COMMIT needs Begin): it goes out once Begin's result says
            // the id is this request's (see beginApplied).
            attempt.pendingDecision = decision;
            return;
        }
        actions.add(new Action.Append(attempt.attemptId, decision));
    }

    // ------------------------------------------------------------------ decision

    public List<Action> decideApplied(String attemptId, RecordResult result, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt marked = marking.get(attemptId);
        if (marked != null && result.getDisposition() != Disposition.FENCED) {
            // A mark of an ABORT this leader had applied: its client (if still waiting) hears it now.
            marking.remove(attemptId);
            if (!result.getForgotten() && result.getStatus() != TxnStatus.FORGOTTEN) {
                actions.add(new Action.Alarm(attemptId, "the log did not take the mark of a forgotten run's ABORT: "
                        + result));
            }
            confirmForgotten(marked, marked.forgottenWhy != null ? marked.forgottenWhy : result.getReason());
            finishOrRetry(marked, nowMs, actions);
            return actions;
        }
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null || attempt.phase != AttemptPhase.DECIDING) {
            return actions;
        }
        if (result.getDisposition() == Disposition.FENCED) {
            actions.add(new Action.Deposed(result.getDetail()));
            return actions;
        }
        if (result.getOutcome() == Outcome.UNDECIDED) {
            throw new IllegalStateException(attemptId + ": Decide left no outcome: " + result);
        }
        if (!attempt.beginCommitted) {
            throw new IllegalStateException(attemptId + ": a decision came back before Begin's result, but none is"
                    + " proposed before it");
        }
        applyDecision(attempt, result, nowMs, actions);
        return actions;
    }

    private void applyDecision(Attempt attempt, RecordResult result, long nowMs, List<Action> actions) {
        if (attempt.committedByParticipant && result.getOutcome() != Outcome.COMMIT) {
            actions.add(new Action.Alarm(attempt.attemptId, "the only participant committed in one phase but the log"
                    + " says " + result.getOutcome()));
        }
        if (attempt.forgotten && result.getOutcome() == Outcome.ABORT && !result.getForgotten()) {
            // The ABORT went out before a participant said the id ran before: mark it first, so that
            // no reader takes it for the tid's outcome; the mark's result comes back here.
            actions.add(new Action.Append(attempt.attemptId, LogRecords.decide(attempt.attemptId, Outcome.ABORT,
                    result.getReason(), settings.proposer(), true)));
            return;
        }
        if (result.getStatus() == TxnStatus.FORGOTTEN) {
            standsForgotten(attempt, result.getReason(), nowMs, actions); // marked after its End: gone from the log
            return;
        }
        if (result.getForgotten()) {
            confirmForgotten(attempt, attempt.forgottenWhy != null ? attempt.forgottenWhy : result.getReason());
        }
        if (result.getDisposition() == Disposition.DUPLICATE) {
            // Someone decided first: an in-doubt participant's ABORT, an earlier leader (this is a
            // resubmitted tid whose old votes came back), or this leader's own Decide whose reply was
            // lost. Its outcome and reason stand, and an ABORT may have a later attempt after it.
            attempt.abortKind = result.getOutcome() == Outcome.ABORT ? "PARTICIPANT_ABORT" : "";
            adoptStandingOutcome(attempt, result.getOutcome(), result.getReason(),
                    result.getStatus() == TxnStatus.ENDED, nowMs, actions);
            return;
        }
        startPhase2(attempt, result.getOutcome(), result.getReason(), nowMs, actions);
        finishOrRetry(attempt, nowMs, actions);
    }

    /** The log says this attempt's ABORT only undid a re-run of a forgotten attempt. */
    private void confirmForgotten(Attempt attempt, String why) {
        attempt.forgotten = true;
        Txn txn = txns.get(attempt.tid);
        if (txn != null && txn.forgottenWhy == null) {
            txn.forgottenWhy = why;
        }
    }

    private void adoptStandingOutcome(Attempt attempt, Outcome outcome, String reason, boolean ended, long nowMs,
            List<Action> actions) {
        attempt.fromLog = true;
        if (ended) {
            if (outcome == Outcome.ABORT) {
                rollBackWhatThisRunPrepared(attempt, actions);
            }
            attempt.outcome = outcome;
            attempt.reason = reason;
            attempt.moveTo(AttemptPhase.ENDED);
            attempts.remove(attempt.attemptId);
        } else {
            startPhase2(attempt, outcome, reason, nowMs, actions);
        }
        Txn txn = txns.get(attempt.tid);
        if (outcome == Outcome.ABORT && txn != null && !txn.answered && txn.current == attempt) {
            // Was this the last attempt of a resubmitted tid? Ask the log about the next one.
            actions.add(new Action.ReadLog(TxnIds.attemptId(attempt.tid, attempt.number + 1)));
        } else {
            finishOrRetry(attempt, nowMs, actions);
        }
    }

    /** The attempt id is FORGOTTEN in the log: this run aborted, and its outcome stands for nothing. */
    private void standsForgotten(Attempt attempt, String why, long nowMs, List<Action> actions) {
        confirmForgotten(attempt, why);
        adoptStandingOutcome(attempt, Outcome.ABORT, why, true, nowMs, actions);
    }

    /**
     * An attempt that ended in the log before this leader's run of it got anywhere: the PREPAREs that
     * went out with its Begin may have prepared someone, and no phase 2 of this run will follow.
     * ROLLBACKs release them now (once, best effort: a participant that misses it asks the log when
     * in doubt, and the log says ABORT or FORGOTTEN). Safe: the log's outcome for the id is ABORT.
     */
    private void rollBackWhatThisRunPrepared(Attempt attempt, List<Action> actions) {
        if (attempt.onePhase) {
            return; // a one-phase PREPARE goes out only after Begin, which found the outcome standing
        }
        for (ServiceName service : attempt.prepareSends.keySet()) {
            actions.add(new Action.SendRollback(service, attempt.attemptId, false, attempt.runId));
        }
    }

    private void startPhase2(Attempt attempt, Outcome outcome, String reason, long nowMs, List<Action> actions) {
        attempt.outcome = outcome;
        attempt.reason = reason;
        attempt.moveTo(outcome == Outcome.COMMIT ? AttemptPhase.COMMITTING : AttemptPhase.ROLLING_BACK);
        if (attempt.onePhase && (outcome == Outcome.COMMIT || attempt.heardFrom)) {
            // The only participant committed by itself, voted NO, or was fenced: nothing to tell it.
            // (Had it not answered, a ROLLBACK leaves a tombstone there, as in two-phase commit: every
            // decided attempt is remembered by its participants, who refuse to run it again.)
            attempt.moveTo(AttemptPhase.ENDING);
            actions.add(new Action.Append(attempt.attemptId, LogRecords.end(attempt.attemptId)));
            if (attempt.successor != null) {
                prepareSuccessor(attempt.successor, nowMs, actions);
            }
            return;
        }
        // Every participant hears the outcome, also those that voted NO or never answered: a ROLLBACK
        // leaves a tombstone, so a PREPARE still on its way cannot hold records afterwards.
        awaitAcks(attempt);
        for (ServiceName service : attempt.services) {
            sendPhase2(attempt, service, actions);
        }
    }

    private void sendPhase2(Attempt attempt, ServiceName service, List<Action> actions) {
        attempt.phase2Sends.merge(service, 1, Integer::sum);
        if (attempt.phase == AttemptPhase.FENCING) {
            actions.add(new Action.SendRollback(service, attempt.attemptId, true, attempt.runId));
        } else {
            actions.add(attempt.outcome == Outcome.COMMIT
                    ? new Action.SendCommit(service, attempt.attemptId)
                    : new Action.SendRollback(service, attempt.attemptId, false, attempt.runId));
        }
    }

    /** The decision of the transaction's current attempt stands: answer the client, or try again. */
    private void finishOrRetry(Attempt attempt, long nowMs, List<Action> actions) {
        Txn txn = txns.get(attempt.tid);
        if (txn == null || txn.current != attempt || txn.answered || marking.containsKey(attempt.attemptId)) {
            return; // (a mark in flight: the answer comes when it is in the log)
        }
        if ((txn.request == null || attempt.forgotten) && attempt.outcome == Outcome.ABORT && !attempt.lastConfirmed) {
            // Recovered from the log, or a re-run of a forgotten attempt: a later attempt may have
            // ended already (not in flight, so recovery did not see it; or still retained when this
            // one's outcome was not). The tid's outcome is its last attempt's: ask.
            actions.add(new Action.ReadLog(TxnIds.attemptId(attempt.tid, attempt.number + 1)));
            return;
        }
        if (attempt.outcome == Outcome.ABORT && !attempt.heardFrom && !attempt.fromLog && !attempt.forgotten
                && !attempt.answerWaitOver) {
            // Nobody answered this run. Had the tid run before, past the log's memory of it, only its
            // participants could say so, in their answer to the ROLLBACKs now on their way: hear the
            // first one (or wait at most retryBackoffMaxMs) before answering ABORTED.
            if (!attempt.answerAwaitsAck) {
                attempt.answerAwaitsAck = true;
                timers.at(nowMs + settings.retryBackoffMaxMs(), Timers.Kind.ANSWER, attempt.attemptId);
            }
            return;
        }
        if (attempt.forgotten) {
            // The tid ran before and no attempt's outcome is left in the log: the truth is that it is
            // no longer known here, never this run's ABORT.
            String why = txn.forgottenWhy != null ? txn.forgottenWhy
                    : attempt.forgottenWhy != null ? attempt.forgottenWhy : attempt.reason;
            reply(txn, rejected(txn.tid, "the outcome of tid " + txn.tid + " is no longer retained (" + why
                    + "); nothing of this submission was applied"), FORGOTTEN, actions);
            return;
        }
        // A LOCKED attempt that could retry gave way to its successor when the vote came (see
        // giveWay); one decided here is the tid's last word, whatever its kind.
        String reason = attempt.reason;
        if (attempt.outcome == Outcome.ABORT && LOCKED.equals(attempt.abortKind) && attempt.number > 1) {
            reason += " (gave up after " + attempt.number + " attempts)";
        }
        SubmitResult result = SubmitResult.newBuilder()
                .setTid(txn.tid)
                .setStatus(attempt.outcome == Outcome.COMMIT ? SubmitResult.Status.COMMITTED : SubmitResult.Status.ABORTED)
                .setReason(attempt.outcome == Outcome.COMMIT ? "" : reason)
                .addAllParticipants(attempt.results())
                .setAttempts(attempt.number)
                .build();
        reply(txn, result, attempt.outcome == Outcome.COMMIT ? "" : attempt.abortKind, actions);
    }

    private void reply(Txn txn, SubmitResult result, String abortKind, List<Action> actions) {
        if (txn == null) {
            return;
        }
        if (!txn.answered) {
            unanswered--;
        }
        txn.answered = true;
        txn.result = result;
        if (result.getStatus() != SubmitResult.Status.REJECTED) {
            finished.put(txn.tid, Finished.of(txn.digest, result));
        }
        actions.add(new Action.Reply(txn.tid, result, abortKind));
        forgetIfDone(txn);
    }

    /** Digest 0 ("not known", a transaction recovered from an old record) matches anything. */
    private static boolean sameDigest(long a, long b) {
        return a == 0 || b == 0 || a == b;
    }

    // ------------------------------------------------------------------ phase 2

    /**
     * A participant's answer to a COMMIT, ROLLBACK or fence. {@code earlierRun}: it had finished the
     * attempt id in an earlier run (see {@link #earlierRun}), so its state is that run's, not this one's.
     */
    public List<Action> acknowledged(String attemptId, ServiceName service, LocalState state, boolean earlierRun,
            long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null || !attempt.awaitingAck.contains(service)) {
            return actions;
        }
        if (earlierRun) {
            earlierRun(attempt, service.id() + ": " + attemptId + " already ran here, in an earlier run that ended "
                    + state + ", and the log holds no outcome of it", actions);
        }
        attempt.heardFrom = true;
        if (attempt.answerAwaitsAck) {
            attempt.answerAwaitsAck = false;
            finishOrRetry(attempt, nowMs, actions); // ABORTED now, or (earlier run) once the mark is in
        }
        if (attempt.phase == AttemptPhase.FENCING) {
            acked(attempt, service);
            attempt.heardFrom = true;
            if (state == LocalState.COMMITTED && !earlierRun) {
                attempt.committedByParticipant = true;
                decide(attempt, Outcome.COMMIT, "", "", actions);
            } else {
                decide(attempt, Outcome.ABORT, attempt.forgotten ? attempt.forgottenWhy : attempt.fenceReason,
                        attempt.forgotten ? FORGOTTEN : attempt.fenceKind, actions);
            }
            return actions;
        }
        boolean expected = earlierRun && attempt.phase == AttemptPhase.ROLLING_BACK // this run never prepared there
                || (attempt.phase == AttemptPhase.COMMITTING ? state == LocalState.COMMITTED
                        : state == LocalState.ROLLED_BACK || state == LocalState.VOTED_NO);
        if (!expected) {
            violated(attempt, service, service.id() + " acknowledged " + state + " while the log says "
                    + attempt.outcome, nowMs, actions);
            return actions;
        }
        if (violations.remove(attemptId + " " + service.id()) != null) {
            violationsVersion++;
        }
        acknowledge(attempt, service, nowMs, actions);
        return actions;
    }

    /**
     * A participant refused a COMMIT or ROLLBACK outright (never prepared here, or decided otherwise):
     * an invariant violation, never an acknowledgement. The attempt stays unfinished (no End), the
     * violation is reported ({@link #violations}) and the message is sent again, slowly, so that an
     * operator's repair is noticed.
     */
    public List<Action> phase2Refused(String attemptId, ServiceName service, String message, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null || !attempt.awaitingAck.contains(service)) {
            return actions;
        }
        String what = attempt.phase == AttemptPhase.FENCING ? "a fence" : attempt.outcome.name();
        violated(attempt, service, service.id() + " refused " + what + ": " + message, nowMs, actions);
        return actions;
    }

    private void violated(Attempt attempt, ServiceName service, String message, long nowMs, List<Action> actions) {
        String key = attempt.attemptId + " " + service.id();
        if (!violations.containsKey(key)) {
            violations.put(key, new Violation(attempt.attemptId, service, message, nowMs));
            violationsVersion++;
            actions.add(new Action.Alarm(attempt.attemptId, message + ": the participant contradicts the log; the"
                    + " transaction stays unfinished until it acknowledges the outcome"));
        }
        timers.at(nowMs + settings.retryBackoffMaxMs(), Timers.Kind.PHASE2_RETRY, attempt.attemptId, service);
    }

    /** A participant contradicting the log about a decided attempt, as reported to operators. */
    public record Violation(String attemptId, ServiceName service, String message, long sinceMs) {
    }

    /** Open invariant violations, oldest first: each keeps its attempt unfinished. */
    public List<Violation> violations() {
        return List.copyOf(violations.values());
    }

    /** Changes whenever {@link #violations} does. */
    public int violationsVersion() {
        return violationsVersion;
    }

    private void acknowledge(Attempt attempt, ServiceName service, long nowMs, List<Action> actions) {
        String attemptId = attempt.attemptId;
        acked(attempt, service);
        if (attempt.awaitingAck.isEmpty()) {
            attempt.moveTo(AttemptPhase.ENDING);
            actions.add(new Action.Append(attemptId, LogRecords.end(attemptId)));
            if (attempt.successor != null) {
                prepareSuccessor(attempt.successor, nowMs, actions);
            }
        }
    }

    private void awaitAcks(Attempt attempt) {
        for (ServiceName service : attempt.services) {
            if (attempt.awaitingAck.add(service)) {
                phase2Backlog.merge(service, 1, Integer::sum);
            }
        }
    }

    private void acked(Attempt attempt, ServiceName service) {
        if (attempt.awaitingAck.remove(service)) {
            phase2Backlog.merge(service, -1, Integer::sum);
        }
    }

    /** A COMMIT or ROLLBACK was not acknowledged; it is sent again, with backoff, until it is. */
    public List<Action> phase2Failed(String attemptId, ServiceName service, long nowMs) {
        Attempt attempt = attempts.get(attemptId);
        if (attempt != null && attempt.awaitingAck.contains(service)) {
            timers.at(nowMs + backoff(attempt.phase2Sends.getOrDefault(service, 1)), Timers.Kind.PHASE2_RETRY,
                    attemptId, service);
        }
        return List.of();
    }

    public List<Action> endApplied(String attemptId, RecordResult result, long nowMs) {
        List<Action> actions = new ArrayList<>();
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null || attempt.phase != AttemptPhase.ENDING) {
            return actions;
        }
        if (result.getDisposition() == Disposition.FENCED) {
            actions.add(new Action.Deposed(result.getDetail()));
            return actions;
        }
        attempt.moveTo(AttemptPhase.ENDED);
        attempts.remove(attemptId);
        Txn txn = txns.get(attempt.tid);
        if (txn != null) {
            forgetIfDone(txn);
        }
        return actions;
    }

    private void forgetIfDone(Txn txn) {
        if (txn.answered && (txn.current == null || txn.current.phase == AttemptPhase.ENDED)) {
            txns.remove(txn.tid);
        }
    }

    // ------------------------------------------------------------------ log failures and reads

    /** An append failed (no leader, timeout): it is idempotent, so it is tried again. */
    public List<Action> appendFailed(String attemptId, TxnRecord record, long nowMs) {
        timers.append(nowMs + settings.retryBackoffMs(), attemptId, record);
        return List.of();
    }

    /** A {@link Action.ReadLog} failed (the log was unreachable): it is tried again. */
    public List<Action> logReadFailed(String attemptId, long nowMs) {
        timers.at(nowMs + settings.retryBackoffMs(), Timers.Kind.READ_RETRY, attemptId);
        return List.of();
    }

    /** The log's answer to a {@link Action.ReadLog} of the attempt after a decided one. */
    public List<Action> logRead(String attemptId, TxnState state, long nowMs) {
        List<Action> actions = new ArrayList<>();
        int hash = attemptId.lastIndexOf('#');
        String tid = attemptId.substring(0, hash);
        Txn txn = txns.get(tid);
        if (txn == null || txn.answered) {
            return actions;
        }
        Attempt previous = txn.current;
        if (state.getStatus() != TxnStatus.UNKNOWN && !sameDigest(state.getRequestDigest(), txn.digest)) {
            // A later attempt of this tid belongs to another request: this one was never the tid's.
            // (Its own phase 2, if any, goes on: the attempt stays in the table until its End.)
            txns.remove(tid);
            reply(txn, rejected(tid, "tid " + tid + " was used for a different request"), "REJECTED", actions);
            return actions;
        }
        boolean forgottenThere = state.getStatus() == TxnStatus.FORGOTTEN || state.getForgotten();
        if (!forgottenThere && (state.getStatus() == TxnStatus.UNKNOWN || state.getOutcome() == Outcome.UNDECIDED)) {
            // The previous attempt was the last one that got a decision: its outcome is the tid's.
            previous.lastConfirmed = true;
            finishOrRetry(previous, nowMs, actions);
            forgetIfDone(txn);
            return actions;
        }
        int number = Integer.parseInt(attemptId.substring(hash + 1));
        Attempt next = new Attempt(attemptId, tid, number, previous.services, txn.deadlineMs, txn.digest,
                state.getRunId(), AttemptPhase.PREPARING);
        next.beginCommitted = true; // the log holds it
        txn.current = next;
        next.abortKind = previous.abortKind;
        if (forgottenThere) {
            confirmForgotten(next, state.getReason()); // that attempt's outcome is lost too: look further
        }
        boolean ended = state.getStatus() == TxnStatus.ENDED || state.getStatus() == TxnStatus.FORGOTTEN;
        if (!ended) {
            attempts.put(attemptId, next);
        }
        adoptStandingOutcome(next, forgottenThere ? Outcome.ABORT : state.getOutcome(), state.getReason(), ended,
                nowMs, actions);
        return actions;
    }

    // ------------------------------------------------------------------ time

    /** Fires every timer due at {@code nowMs}. */
    public List<Action> tick(long nowMs) {
        List<Action> actions = new ArrayList<>();
        for (Timers.Timer t : timers.due(nowMs)) {
            switch (t.kind()) {
                case PREPARE_RETRY -> {
                    Attempt a = attempts.get(t.id());
                    if (a != null && a.phase == AttemptPhase.PREPARING && !a.votes.containsKey(t.service())) {
                        sendPrepare(a, t.service(), actions);
                    }
                }
                case PHASE2_RETRY -> {
                    Attempt a = attempts.get(t.id());
                    if (a != null && a.awaitingAck.contains(t.service())) {
                        sendPhase2(a, t.service(), actions);
                    }
                }
                case DEADLINE -> {
                    Txn txn = txns.get(t.id());
                    Attempt a = txn == null ? null : txn.current;
                    if (a != null && a.phase == AttemptPhase.PREPARING && a.deadlineMs <= nowMs) {
                        abortOrFence(a, "deadline passed before every participant voted (waiting for "
                                + String.join(", ", a.waitingFor()) + ")", "DEADLINE", actions);
                    }
                }
                case NEXT_ATTEMPT -> {
                    Txn txn = txns.get(t.id());
                    if (txn != null && !txn.answered) {
                        prepareSuccessor(txn.current, nowMs, actions);
                    }
                }
                case APPEND_RETRY -> {
                    if (attempts.containsKey(t.id()) || marking.containsKey(t.id())) {
                        actions.add(new Action.Append(t.id(), t.record()));
                    }
                }
                case ANSWER -> {
                    Attempt a = attempts.get(t.id());
                    if (a != null && a.answerAwaitsAck) {
                        a.answerAwaitsAck = false;
                        a.answerWaitOver = true;
                        finishOrRetry(a, nowMs, actions);
                    }
                }
                case READ_RETRY -> {
                    Txn txn = txns.get(t.id().substring(0, t.id().lastIndexOf('#')));
                    if (txn != null && !txn.answered) {
                        actions.add(new Action.ReadLog(t.id()));
                    }
                }
            }
        }
        return actions;
    }

    /** When {@link #tick} next has something to do ({@link Long#MAX_VALUE}: nothing scheduled). */
    public long nextWakeupMs() {
        return timers.nextAtMs();
    }

    // ------------------------------------------------------------------ leadership

    /**
     * A new leader takes over what the log holds in flight: an undecided attempt is aborted
     * (presumed abort: whoever began it is gone), a decided one gets its phase 2 again.
     */
    public List<Action> recover(List<TxnState> inFlight, long nowMs) {
        List<Action> actions = new ArrayList<>();
        // First every attempt, so that each tid knows its latest one before any is driven: only the
        // latest attempt's outcome may answer the client.
        List<Map.Entry<Attempt, TxnState>> recovered = new ArrayList<>();
        for (TxnState state : inFlight) {
            String attemptId = state.getTid();
            int hash = attemptId.lastIndexOf('#');
            if (hash < 0 || attempts.containsKey(attemptId)) {
                continue; // not a coordinator's attempt id (a tool's record), or already driven
            }
            String tid = attemptId.substring(0, hash);
            int number = Integer.parseInt(attemptId.substring(hash + 1));
            List<ServiceName> services = state.getParticipantsList().stream()
                    .map(id -> ServiceName.fromId(id).orElseThrow(() -> new IllegalStateException(
                            attemptId + ": unknown participant " + id + " in the log")))
                    .toList();
            Attempt attempt = new Attempt(attemptId, tid, number, services, state.getDeadlineMs(),
                    state.getRequestDigest(), state.getRunId(), AttemptPhase.PREPARING);
            if (state.getForgotten()) {
                attempt.forgotten = true;
                attempt.forgottenWhy = state.getReason();
            }
            attempt.beginCommitted = true;
            attempt.neverDecided = state.getNeverDecided();
            attempts.put(attemptId, attempt);
            Txn txn = txns.computeIfAbsent(tid, t -> recoveredTxn(t, state.getRequestDigest(), state.getDeadlineMs(),
                    number));
            if (txn.current == null || txn.current.number < number) {
                txn.current = attempt;
            }
            recovered.add(Map.entry(attempt, state));
        }
        for (Map.Entry<Attempt, TxnState> r : recovered) {
            Attempt attempt = r.getKey();
            TxnState state = r.getValue();
            if (state.getOutcome() == Outcome.UNDECIDED) {
                abortOrFence(attempt, "coordinator failover before decision", "FAILOVER", actions);
            } else {
                startPhase2(attempt, state.getOutcome(), state.getReason(), nowMs, actions);
                finishOrRetry(attempt, nowMs, actions);
            }
        }
        return actions;
    }

    /**
     * A new run of an attempt id: random, so that no two runs of one id share it (a re-run of a
     * forgotten tid, another leader's, a restart's). 0 means "not known" on the wire: never drawn.
     */
    private long nextRunId() {
        long id = jitter.nextLong();
        return id == 0 ? 1 : id;
    }

    private Txn recoveredTxn(String tid, long digest, long deadlineMs, int attempts) {
        unanswered++;
        Txn txn = new Txn(tid, null, digest, deadlineMs, attempts);
        txn.established = true;
        return txn;
    }

    // ------------------------------------------------------------------ views

    /** Transactions this leader is running (not yet answered, or answered and still in phase 2). */
    public int inFlight() {
        return txns.size();
    }

    /** Up to {@code max} of the transactions this leader holds, each with where it stands (for operators). */
    public List<String> describeInFlight(int max) {
        List<String> out = new ArrayList<>();
        for (Txn txn : txns.values()) {
            if (out.size() == max) {
                break;
            }
            Attempt a = txn.current;
            out.add(txn.tid + (a == null ? "" : " (" + a.attemptId + " " + a.phase + (a.answerAwaitsAck
                    ? ", answer awaits an acknowledgement" : "") + ")") + (txn.answered ? " answered" : " unanswered"));
        }
        return out;
    }

    /** Attempts waiting for phase-2 acknowledgements. */
    public int phase2Backlog() {
        int n = 0;
        for (Attempt a : attempts.values()) {
            if (a.phase == AttemptPhase.COMMITTING || a.phase == AttemptPhase.ROLLING_BACK) {
                n++;
            }
        }
        return n;
    }

    /** The services of an attempt this leader runs (empty when it runs no such attempt). */
    public List<ServiceName> servicesOf(String attemptId) {
        Attempt a = attempts.get(attemptId);
        return a == null ? List.of() : List.copyOf(a.services);
    }

    public Optional<AttemptPhase> phaseOf(String attemptId) {
        return Optional.ofNullable(attempts.get(attemptId)).map(a -> a.phase);
    }

    // ------------------------------------------------------------------ helpers

    private long backoff(int sent) {
        long wait = settings.retryBackoffMs() << Math.min(20, Math.max(0, sent - 1));
        return Math.min(settings.retryBackoffMaxMs(), wait);
    }

    /** Exponential with full jitter: contending transactions must not retry in lockstep. */
    private long lockBackoff(int attempt) {
        long ceiling = settings.lockBackoffMs() << Math.min(10, attempt - 1);
        return ceiling / 2 + (long) (jitter.nextDouble() * (ceiling / 2 + 1));
    }

    private static SubmitResult rejected(String tid, String reason) {
        return SubmitResult.newBuilder().setTid(tid).setStatus(SubmitResult.Status.REJECTED).setReason(reason).build();
    }
}
