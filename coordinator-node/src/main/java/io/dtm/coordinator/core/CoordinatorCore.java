package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.List;
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
 * acknowledged; then End.
 *
 * <p>This class is the one event dispatcher; it calls down into the parts that do the work, each on
 * the one {@link Transactions} table: {@link Admission} and the {@link AnswerCache} (who gets in,
 * and resubmissions), {@link PhaseOne} (Begin and PREPAREs), {@link Decisions}, {@link PhaseTwo},
 * {@link Answers} (what a client is told, and when), {@link ForgottenRuns} (runs of an id that are
 * not this leader's), {@link RetryChain} (retries after LOCKED), {@link Takeover} (after a leader
 * change) and {@link Violations}. What each event does goes out through an {@link Outbox}.
 *
 * <p>Safety does not rest on this class alone: the log keeps the first decision of every attempt and
 * fences the records of a deposed leader, so whatever this core proposes, phase 2 follows the log.
 */
public final class CoordinatorCore {
    private final CoordinatorSettings settings;
    private final Transactions table = new Transactions();
    private final Timers timers = new Timers();
    private final AnswerCache cache;
    private final Admission admission;
    private final Violations violations = new Violations();
    private final Backoff backoff;
    private final PhaseOne phaseOne;
    private final PhaseTwo phaseTwo;
    private final Decisions decisions;
    private final Answers answers;
    private final ForgottenRuns forgotten;
    private final RetryChain retries;
    private final Takeover takeover;
    private final Outcomes outcomes;
    private final Acknowledgements acknowledgements;
    private final Begins begins;

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

    /** {@code random}: the lock backoff's jitter and the run ids (seeded in the simulation). */
    public CoordinatorCore(CoordinatorSettings settings, Random random) {
        this.settings = settings;
        this.cache = new AnswerCache(settings.resultCacheSize());
        this.admission = new Admission(settings.maxInFlight());
        this.backoff = new Backoff(settings, random);
        this.phaseOne = new PhaseOne(table, backoff);
        this.phaseTwo = new PhaseTwo(admission);
        this.decisions = new Decisions(phaseTwo);
        this.answers = new Answers(settings, table, cache, admission, timers, phaseTwo);
        this.forgotten = new ForgottenRuns(table, decisions, answers);
        this.retries = new RetryChain(table, timers, backoff, phaseOne, decisions, forgotten);
        this.takeover = new Takeover(table, admission, decisions, phaseTwo, answers);
        this.outcomes = new Outcomes(table, phaseTwo, answers, forgotten, retries);
        this.acknowledgements = new Acknowledgements(settings, table, timers, admission, violations, decisions,
                phaseTwo, answers, forgotten, outcomes);
        this.begins = new Begins(table, phaseOne, decisions, answers, forgotten, retries, outcomes);
    }

    private Outbox outbox() {
        return new Outbox(settings.proposer());
    }

    // ------------------------------------------------------------------ submit

    /** A client's request, validated already. */
    public Submitted submit(TxnRequest request, long nowMs) {
        String tid = request.tid();
        Txn running = table.txn(tid);
        if (running != null && Txn.sameDigest(running.digest, request.digest())) {
            return running.answered ? new Answered(running.result, false) : new Joined();
        }
        AnswerCache.Kept done = cache.find(tid);
        if (done != null) {
            return Txn.sameDigest(done.digest(), request.digest()) ? new Answered(done.answer(), false)
                    : new Answered(Answers.rejected(tid, "tid " + tid + " was used for a different request"), false);
        }
        if (running != null) {
            if (running.established) {
                return new Answered(Answers.rejected(tid, "tid " + tid + " is running with a different request"),
                        false);
            }
            // Two requests race for the tid and the log has not said whose it is yet (or the other
            // one is about to learn it is not its): no final answer can be given now.
            return overloaded(tid, "tid " + tid + " is being claimed by a different request right now; retry shortly");
        }
        Optional<String> refusal = admission.refusal(request);
        if (refusal.isPresent()) {
            return overloaded(tid, refusal.get());
        }
        Txn txn = new Txn(tid, request, request.digest(), nowMs + request.timeoutMs(), request.maxAttempts());
        table.put(txn);
        admission.taken();
        timers.at(txn.deadlineMs, Timers.Kind.DEADLINE, tid);
        Outbox out = outbox();
        phaseOne.start(txn, out);
        return new Started(out.actions());
    }

    private static Answered overloaded(String tid, String reason) {
        return new Answered(SubmitResult.newBuilder().setTid(tid).setStatus(SubmitResult.Status.OVERLOADED)
                .setReason(reason).build(), true);
    }

    // ------------------------------------------------------------------ phase 1

    /** Begin's result: whose the attempt id is, and what the log already holds for it (see {@link Begins}). */
    public List<Action> beginApplied(String attemptId, RecordResult result, long nowMs) {
        Outbox out = outbox();
        begins.applied(attemptId, result, nowMs, out);
        return out.actions();
    }

    public List<Action> voted(String attemptId, ServiceName service, Vote vote, long nowMs) {
        Outbox out = outbox();
        Attempt attempt = table.attempt(attemptId);
        if (attempt != null && vote.getCode() == VoteCode.EARLIER_RUN) {
            forgotten.voted(attempt, service, vote, out);
            return out.actions();
        }
        if (attempt == null || attempt.phase != AttemptPhase.PREPARING || attempt.votes.containsKey(service)
                || attempt.givingWay) {
            return out.actions(); // (giving way: its successor is on its way; this attempt will abort)
        }
        attempt.votes.put(service, vote);
        attempt.heardFrom = true;
        attempt.errors.remove(service);
        if (!vote.getYes()) {
            String kind = vote.getCode() == VoteCode.LOCKED ? AbortKind.LOCKED : vote.getCode().name();
            String reason = service.id() + ": " + vote.getCode() + ": " + vote.getMessage();
            if (!AbortKind.LOCKED.equals(kind) || !retries.giveWay(attempt, reason, nowMs, out)) {
                decisions.decide(attempt, Outcome.ABORT, reason, kind, out);
            }
        } else if (attempt.onePhase) {
            // One-phase commit: the only participant committed. Its Decide records it, and the client
            // hears it once that is in the log; should this leader die first, the next one fences.
            attempt.committedByParticipant = true;
            if (attempt.beginCommitted) {
                decisions.decide(attempt, Outcome.COMMIT, "", "", out);
            }
        } else if (attempt.allVotedYes() && attempt.beginCommitted) {
            decisions.decide(attempt, Outcome.COMMIT, "", "", out);
        }
        return out.actions();
    }

    /** A PREPARE got no answer (timeout, lost connection, error reply). */
    public List<Action> prepareFailed(String attemptId, ServiceName service, String error, long nowMs) {
        Outbox out = outbox();
        Attempt attempt = table.attempt(attemptId);
        if (attempt == null || attempt.phase != AttemptPhase.PREPARING || attempt.votes.containsKey(service)) {
            return out.actions();
        }
        int sent = attempt.prepareSends.getOrDefault(service, 0);
        attempt.errors.put(service, error + " after " + sent + " attempt" + (sent == 1 ? "" : "s"));
        if (sent >= settings.prepareAttempts()) {
            decisions.abortOrFence(attempt, service.id() + ": " + attempt.errors.get(service), "TIMEOUT", out);
        } else {
            timers.at(nowMs + backoff.retry(sent), Timers.Kind.PREPARE_RETRY, attemptId, service);
        }
        return out.actions();
    }

    // ------------------------------------------------------------------ decision

    /** What became of a record this core asked to append: Begin, Decide or End. */
    public List<Action> appended(String attemptId, TxnRecord record, RecordResult result, long nowMs) {
        return switch (record.getRecordCase()) {
            case BEGIN -> beginApplied(attemptId, result, nowMs);
            case DECIDE -> decideApplied(attemptId, result, nowMs);
            case END -> endApplied(attemptId, result, nowMs);
            case RECORD_NOT_SET -> throw new IllegalStateException("empty record appended for " + attemptId);
        };
    }

    public List<Action> decideApplied(String attemptId, RecordResult result, long nowMs) {
        Outbox out = outbox();
        outcomes.decided(attemptId, result, nowMs, out);
        return out.actions();
    }

    // ------------------------------------------------------------------ phase 2

    /**
     * A participant's answer to a COMMIT, ROLLBACK or fence. {@code earlierRun}: it had finished the
     * attempt id in an earlier run (see {@link ForgottenRuns}), so its state is that run's, not this one's.
     */
    public List<Action> acknowledged(String attemptId, ServiceName service, LocalState state, boolean earlierRun,
            long nowMs) {
        Outbox out = outbox();
        acknowledgements.acknowledged(attemptId, service, state, earlierRun, nowMs, out);
        return out.actions();
    }

    /**
     * A participant refused a COMMIT or ROLLBACK outright: an invariant violation, never an
     * acknowledgement (see {@link Acknowledgements}).
     */
    public List<Action> phase2Refused(String attemptId, ServiceName service, String message, long nowMs) {
        Outbox out = outbox();
        acknowledgements.refused(attemptId, service, message, nowMs, out);
        return out.actions();
    }

    /** A COMMIT or ROLLBACK was not acknowledged; it is sent again, with backoff, until it is. */
    public List<Action> phase2Failed(String attemptId, ServiceName service, long nowMs) {
        Attempt attempt = table.attempt(attemptId);
        if (attempt != null && attempt.awaitingAck.contains(service)) {
            timers.at(nowMs + backoff.retry(attempt.phase2Sends.getOrDefault(service, 1)), Timers.Kind.PHASE2_RETRY,
                    attemptId, service);
        }
        return List.of();
    }

    public List<Action> endApplied(String attemptId, RecordResult result, long nowMs) {
        Outbox out = outbox();
        Attempt attempt = table.attempt(attemptId);
        if (attempt == null || attempt.phase != AttemptPhase.ENDING) {
            return out.actions();
        }
        if (result.getDisposition() == Disposition.FENCED) {
            out.deposed(result.getDetail());
            return out.actions();
        }
        attempt.moveTo(AttemptPhase.ENDED);
        table.remove(attempt);
        Txn txn = table.txn(attempt.tid);
        if (txn != null) {
            table.forgetIfDone(txn);
        }
        return out.actions();
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
        Outbox out = outbox();
        answers.logRead(attemptId, state, nowMs, out);
        return out.actions();
    }

    // ------------------------------------------------------------------ time

    /** Fires every timer due at {@code nowMs}. */
    public List<Action> tick(long nowMs) {
        Outbox out = outbox();
        for (Timers.Timer t : timers.due(nowMs)) {
            Attempt a = table.attempt(t.id());
            switch (t.kind()) {
                case PREPARE_RETRY -> {
                    if (a != null && a.phase == AttemptPhase.PREPARING && !a.votes.containsKey(t.service())) {
                        phaseOne.send(a, t.service(), out);
                    }
                }
                case PHASE2_RETRY -> {
                    if (a != null && a.awaitingAck.contains(t.service())) {
                        phaseTwo.send(a, t.service(), out);
                    }
                }
                case DEADLINE -> {
                    Txn txn = table.txn(t.id());
                    Attempt current = txn == null ? null : txn.current;
                    if (current != null && current.phase == AttemptPhase.PREPARING && current.deadlineMs <= nowMs) {
                        decisions.abortOrFence(current, "deadline passed before every participant voted (waiting for "
                                + String.join(", ", current.waitingFor()) + ")", "DEADLINE", out);
                    }
                }
                case NEXT_ATTEMPT -> {
                    Txn txn = table.txn(t.id());
                    if (txn != null && !txn.answered) {
                        retries.prepare(txn.current, nowMs, out);
                    }
                }
                case APPEND_RETRY -> {
                    if (a != null || table.marking().containsKey(t.id())) {
                        out.append(t.id(), t.record());
                    }
                }
                case ANSWER -> {
                    if (a != null && a.answerAwaitsAck) {
                        a.answerAwaitsAck = false;
                        a.answerWaitOver = true;
                        answers.finish(a, nowMs, out);
                    }
                }
                case READ_RETRY -> {
                    Txn txn = table.txnOf(t.id());
                    if (txn != null && !txn.answered) {
                        out.readLog(t.id());
                    }
                }
            }
        }
        return out.actions();
    }

    /** When {@link #tick} next has something to do ({@link Long#MAX_VALUE}: nothing scheduled). */
    public long nextWakeupMs() {
        return timers.nextAtMs();
    }

    // ------------------------------------------------------------------ leadership

    /** A new leader takes over what the log holds in flight (see {@link Takeover}). */
    public List<Action> recover(List<TxnState> inFlight, long nowMs) {
        Outbox out = outbox();
        takeover.recover(inFlight, nowMs, out);
        return out.actions();
    }

    // ------------------------------------------------------------------ views

    /** Transactions this leader is running (not yet answered, or answered and still in phase 2). */
    public int inFlight() {
        return table.txnCount();
    }

    /** Up to {@code max} of the transactions this leader holds, each with where it stands (for operators). */
    public List<String> describeInFlight(int max) {
        return table.describe(max);
    }

    /** Attempts with no decision in the log yet: a leader that hands its group over waits for none to be left. */
    public int undecided() {
        return table.undecided();
    }

    /** Attempts waiting for phase-2 acknowledgements. */
    public int phase2Backlog() {
        return table.inPhaseTwo();
    }

    /** Open invariant violations, oldest first: each keeps its attempt unfinished. */
    public List<Violation> violations() {
        return violations.list();
    }

    /** Changes whenever {@link #violations} does. */
    public int violationsVersion() {
        return violations.version();
    }

    /** The services of an attempt this leader runs (empty when it runs no such attempt). */
    public List<ServiceName> servicesOf(String attemptId) {
        Attempt a = table.attempt(attemptId);
        return a == null ? List.of() : List.copyOf(a.services);
    }

    public Optional<AttemptPhase> phaseOf(String attemptId) {
        return Optional.ofNullable(table.attempt(attemptId)).map(a -> a.phase);
    }

}
