package io.dtm.coordinator.core;

import io.dtm.protocol.AttemptId;
import io.dtm.config.ServiceName;

/** Beginning an attempt and sending its PREPAREs. */
final class PhaseOne {
    private final Transactions table;
    private final Backoff backoff;

    PhaseOne(Transactions table, Backoff backoff) {
        this.table = table;
        this.backoff = backoff;
    }

    /** A new attempt of {@code txn}, with a run of its own, in the table. */
    Attempt newAttempt(Txn txn, int number) {
        Attempt attempt = new Attempt(AttemptId.format(txn.tid, number), txn.tid, number, txn.request.services(),
                txn.deadlineMs, txn.digest, backoff.runId(), AttemptPhase.PREPARING);
        txn.current = attempt;
        table.put(attempt);
        return attempt;
    }

    /**
     * Begin and the PREPAREs go out together: the fault-free path waits for two forced writes in
     * sequence (the votes, then the decision), not three. A COMMIT still waits for Begin.
     *
     * <p>Why no outcome can be lost or contradicted by a PREPARE that overtakes its Begin
     * (presumed abort):
     * <ul>
     * <li>Nothing commits without a COMMIT in the log, and the coordinator proposes one only after
     *     the log applied the attempt's Begin and every vote is YES (CoordinatorCore).
     * <li>If the Begin never reaches the log (the leader dies with it in flight), a participant that
     *     voted YES is in doubt; its resolver finds the attempt unknown to the log and proposes
     *     ABORT, which the log takes for an attempt it never saw (TxnLogState: UNKNOWN --Decide
     *     ABORT--> ENDED). The first decision logged wins: a Begin arriving after it is a duplicate
     *     and any later COMMIT is refused, so every participant learns the same ABORT.
     * <li>One-phase is the exception: the participant commits as it votes, so its PREPARE waits
     *     for Begin (below).
     * </ul>
     * What it costs when the Begin is lost: the participant holds its locks until its in-doubt
     * timeout. The simulation loses Begins this way (appends fail while a leader crashes) and
     * counts the prepared attempts resolved without one (SimulationTest asserts there are some),
     * checking atomicity and agreement after every run.
     */
    void start(Txn txn, Outbox out) {
        Attempt attempt = newAttempt(txn, 1);
        out.begin(attempt, txn.request.serviceIds());
        if (attempt.onePhase) {
            // One-phase commit waits for Begin: the participant commits as it votes, so the id must be
            // known to be this request's (not a reused tid's) before anything can commit under it.
            return;
        }
        for (ServiceName service : attempt.services) {
            send(attempt, service, out);
        }
    }

    void send(Attempt attempt, ServiceName service, Outbox out) {
        attempt.prepareSends.merge(service, 1, Integer::sum);
        out.prepare(service, table.txn(attempt.tid).request.prepare(service, attempt.attemptId).toBuilder()
                .setOnePhase(attempt.onePhase).setRunId(attempt.runId).build());
    }
}
