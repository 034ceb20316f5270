package io.dtm.rpc;

import io.dtm.protocol.RemoteException;
import io.dtm.protocol.RpcClient;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.NodeStatusRequest;
import io.dtm.protocol.rpc.LogDump;
import io.dtm.protocol.rpc.ChangeMembersRequest;
import io.dtm.protocol.rpc.GroupMember;
import io.dtm.protocol.rpc.LogDumpRequest;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.ResolveRequest;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.protocol.rpc.Response;
import io.dtm.protocol.rpc.TxnStatusRequest;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A connection to one coordinator node's client port, many requests in flight at once.
 * Obtained from {@link DtmConnections#connect}; futures complete on a Netty event loop.
 */
public final class NodeClient implements AutoCloseable {
    private final String nodeId;
    private final RpcClient<Request, Response> rpc;
    private final Duration timeout;

    NodeClient(String nodeId, RpcClient<Request, Response> rpc, Duration timeout) {
        this.nodeId = nodeId;
        this.rpc = rpc;
        this.timeout = timeout;
    }

    public String nodeId() {
        return nodeId;
    }

    public String address() {
        return rpc.address();
    }

    public boolean isActive() {
        return rpc.isActive();
    }

    /** How this node sees itself and the Raft group. */
    public CompletableFuture<NodeStatus> status() {
        return call(id -> Request.newBuilder().setRequestId(id)
                .setNodeStatus(NodeStatusRequest.getDefaultInstance()).build(), Response::getNodeStatus);
    }

    /** A transaction's state in the log, read linearizably through this node. */
    public CompletableFuture<TxnState> txnStatus(String tid) {
        return call(id -> Request.newBuilder().setRequestId(id)
                .setTxnStatus(TxnStatusRequest.newBuilder().setAttemptId(tid)).build(), Response::getTxnState);
    }

    /** A page of this node's own replica of the log (not linearizable: that is the point). */
    public CompletableFuture<LogDump> logDump(String after, int limit) {
        return call(id -> Request.newBuilder().setRequestId(id)
                .setLogDump(LogDumpRequest.newBuilder().setAfter(after).setLimit(limit)).build(), Response::getLogDump);
    }

    /**
     * Makes {@code members} the members of log group {@code group} (admin only; see {@code
     * ChangeMembersRequest}); completes with this node's status once the group has committed them.
     */
    public CompletableFuture<NodeStatus> changeMembers(int group, List<GroupMember> members) {
        return call(id -> Request.newBuilder().setRequestId(id).setChangeMembers(ChangeMembersRequest.newBuilder()
                .setGroup(group).addAllMembers(members)).build(), Response::getNodeStatus);
    }

    /**
     * Runs a transaction on this node (it must be the leader: a follower answers NOT_LEADER, which
     * fails the future with a {@link RemoteException} naming the leader). The future completes with
     * the outcome — COMMITTED, ABORTED or REJECTED — once it is decided.
     */
    public CompletableFuture<SubmitResult> submit(SubmitRequest request) {
        return call(id -> Request.newBuilder().setRequestId(id).setSubmit(request).build(), Response::getSubmitResult);
    }

    /**
     * For an in-doubt participant: the attempt's outcome as logged, or, with {@code proposeAbort},
     * the outcome that stands after proposing ABORT (the first decision logged wins).
     */
    public CompletableFuture<TxnState> resolve(String attemptId, boolean proposeAbort, String reason, String proposer) {
        return call(id -> Request.newBuilder().setRequestId(id)
                .setResolve(ResolveRequest.newBuilder().setAttemptId(attemptId).setProposeAbort(proposeAbort)
                        .setReason(reason).setProposer(proposer))
                .build(), Response::getTxnState);
    }

    private <T> CompletableFuture<T> call(java.util.function.LongFunction<Request> request, Function<Response, T> body) {
        return rpc.call(request, timeout).thenApply(response -> {
            if (response.hasError()) {
                throw new RemoteException(response.getError(), nodeId + " (" + rpc.address() + ")");
            }
            return body.apply(response);
        });
    }

    @Override
    public void close() {
        rpc.close();
    }
}
