package io.dtm.coordinator.runtime;

import io.dtm.config.ServiceName;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.Vote;

import java.util.concurrent.CompletableFuture;

/**
 * The participant services as a {@link CoordinatorEngine} uses them. A future fails with a
 * {@link java.util.concurrent.TimeoutException} when no answer came in time, with an
 * {@link io.dtm.protocol.RemoteException} when the service answered with an error (its code says
 * whether asking again can help), and with anything else when the message could not be sent.
 */
public interface EngineParticipants {
    CompletableFuture<Vote> prepare(ServiceName service, Prepare prepare);

    CompletableFuture<Ack> commit(ServiceName service, String attemptId);

    CompletableFuture<Ack> rollback(ServiceName service, Rollback rollback);
}
