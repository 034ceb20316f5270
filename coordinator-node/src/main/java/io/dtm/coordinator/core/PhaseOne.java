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
