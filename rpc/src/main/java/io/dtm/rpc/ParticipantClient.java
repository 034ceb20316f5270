package io.dtm.rpc;

import io.dtm.protocol.RemoteException;
import io.dtm.protocol.RpcClient;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.participant.Inspect;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.ListTxns;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.LocalTxn;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.TxnList;
import io.dtm.protocol.participant.Query;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.SetFaults;
import io.dtm.protocol.participant.Vote;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * A connection to one participant service, many requests in flight at once. Obtained from
 * {@link DtmConnections#connectParticipant}; futures complete on a Netty event loop. A reply with
 * an error (malformed message, protocol error, overload) fails the future with a
 * {@link RemoteException}; a NO vote is an answer, not an error.
 */
public final class ParticipantClient implements AutoCloseable {
    private final String service;
    private final RpcClient<ParticipantRequest, ParticipantResponse> rpc;
    private final Duration timeout;

    ParticipantClient(String service, RpcClient<ParticipantRequest, ParticipantResponse> rpc, Duration timeout) {
        this.service = service;
        this.rpc = rpc;
        this.timeout = timeout;
    }

    public String service() {
        return service;
    }

    public boolean isActive() {
        return rpc.isActive();
    }

    public CompletableFuture<Vote> prepare(Prepare prepare) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setPrepare(prepare).build(),
                ParticipantResponse::getVote);
    }

    public CompletableFuture<LocalState> commit(String tid) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setCommit(Commit.newBuilder().setAttemptId(tid))
                .build(), r -> r.getAck().getState());
    }

    public CompletableFuture<LocalState> rollback(String tid) {
        return rollback(tid, false);
    }

    /**
     * With {@code unlessCommitted}, fences a one-phase attempt: rolls it back unless it committed, and
     * answers which (COMMITTED is then an answer, not a protocol error).
     */
    public CompletableFuture<LocalState> rollback(String tid, boolean unlessCommitted) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setRollback(Rollback.newBuilder().setAttemptId(tid)
                .setUnlessCommitted(unlessCommitted)).build(), r -> r.getAck().getState());
    }

    /** A ROLLBACK as given (a run id, a fence); the acknowledgement says the state after it and whose run it was. */
    public CompletableFuture<Ack> rollback(Rollback rollback) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setRollback(rollback).build(),
                ParticipantResponse::getAck);
    }

    /** A COMMIT; the acknowledgement says the state after it. */
    public CompletableFuture<Ack> commitAck(String tid) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setCommit(Commit.newBuilder().setAttemptId(tid))
                .build(), ParticipantResponse::getAck);
    }

    public CompletableFuture<LocalTxn> query(String tid) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setQuery(Query.newBuilder().setAttemptId(tid))
                .build(), ParticipantResponse::getTxn);
    }

    public CompletableFuture<InspectReply> inspect() {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id).setInspect(Inspect.getDefaultInstance())
                .build(), ParticipantResponse::getInspect);
    }

    /** One page of the service's local transactions (ids after {@code after}; {@code limit} 0 for the service's page). */
    public CompletableFuture<TxnList> list(String after, int limit) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id)
                .setListTxns(ListTxns.newBuilder().setAfter(after).setLimit(limit)).build(), ParticipantResponse::getTxnList);
    }

    /** Replaces the service's fault injection; completes with the settings now in force. */
    public CompletableFuture<Faults> setFaults(Faults faults) {
        return call(id -> ParticipantRequest.newBuilder().setRequestId(id)
                .setSetFaults(SetFaults.newBuilder().setFaults(faults)).build(), ParticipantResponse::getFaults);
    }

    private <T> CompletableFuture<T> call(LongFunction<ParticipantRequest> request, Function<ParticipantResponse, T> body) {
        return rpc.call(request, timeout).thenApply(response -> {
            if (response.hasError()) {
                throw new RemoteException(response.getError(), service + " (" + rpc.address() + ")");
            }
            return body.apply(response);
        });
    }

    @Override
    public void close() {
        rpc.close();
    }
}
