package io.dtm.coordinator;

import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.log.TxnLogClient;
import io.dtm.log.TxnLogServer;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RpcContext;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.TxnIds;
import io.dtm.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.ResolveRequest;
import io.dtm.protocol.rpc.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * One coordinator process: the Raft server of the replicated transaction log and the
 * client-facing service on the node's client port.
 *
 * <p>The client port answers, for now, how this node sees the cluster and a transaction's state
 * (read linearizably through this node, so any node can answer). The two-phase-commit engine
 * joins here in the coordinator issue.
 */
public final class CoordinatorNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatorNode.class);

    private final String nodeId;
    private final TxnLogServer logServer;
    private final TxnLogClient logClient;
    private final RpcServer<Request, Response> clientServer;

    private CoordinatorNode(String nodeId, TxnLogServer logServer, TxnLogClient logClient,
            RpcServer<Request, Response> clientServer) {
        this.nodeId = nodeId;
        this.logServer = logServer;
        this.logClient = logClient;
        this.clientServer = clientServer;
    }

    /** Starts the node {@code nodeId} of {@code config}, keeping its data in {@code config.nodeDataDir(nodeId)}. */
    public static CoordinatorNode start(ClusterConfig config, String nodeId) throws IOException {
        NodeConfig node = config.node(nodeId);
        TxnLogServer logServer = TxnLogServer.start(config, nodeId, config.nodeDataDir(nodeId));
        TxnLogClient logClient = null;
        try {
            logClient = TxnLogClient.connect(config, nodeId);
            Handler handler = new Handler(nodeId, logServer, logClient, config.timeouts().rpcTimeoutMs());
            RpcServer<Request, Response> server = RpcServer.builder(Request.parser(), handler::handle,
                            CoordinatorNode::errorResponse)
                    .name(nodeId + "-client")
                    .start(node.host(), node.clientPort());
            LOG.info("[{}] serving clients on {}", nodeId, node.clientAddress());
            return new CoordinatorNode(nodeId, logServer, logClient, server);
        } catch (IOException | RuntimeException e) {
            closeQuietly(logClient);
            closeQuietly(logServer);
            throw e;
        }
    }

    public String nodeId() {
        return nodeId;
    }

    private static Response errorResponse(Request request, Throwable error) {
        return Response.newBuilder()
                .setRequestId(request.getRequestId())
                .setError(ErrorCode.INTERNAL.toProto("internal error: " + error))
                .build();
    }

    @Override
    public void close() {
        LOG.info("[{}] stopping", nodeId);
        clientServer.close();
        closeQuietly(logClient);
        closeQuietly(logServer);
        LOG.info("[{}] stopped", nodeId);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("closing {} failed", c, e);
        }
    }

    /** Serves the client port. Never blocks the event loop: log reads complete asynchronously. */
    private record Handler(String nodeId, TxnLogServer logServer, TxnLogClient logClient, long rpcTimeoutMs) {
        CompletableFuture<Response> handle(Request request, RpcContext context) {
            Response.Builder reply = Response.newBuilder().setRequestId(request.getRequestId());
            return switch (request.getBodyCase()) {
                case NODE_STATUS -> CompletableFuture.completedFuture(reply.setNodeStatus(logServer.status()).build());
                case TXN_STATUS -> txnStatus(request.getTxnStatus().getTid(), reply);
                case RESOLVE -> resolve(request.getResolve(), reply);
                case BODY_NOT_SET -> CompletableFuture.completedFuture(reply
                        .setError(ErrorCode.INVALID_REQUEST.toProto("request has no body (a newer client?)"))
                        .build());
            };
        }

        private CompletableFuture<Response> txnStatus(String tid, Response.Builder reply) {
            Optional<String> problem = TxnIds.problem(tid);
            if (problem.isPresent()) {
                return CompletableFuture.completedFuture(
                        reply.setError(ErrorCode.INVALID_REQUEST.toProto(problem.get())).build());
            }
            return answer(logClient.readVia(tid, nodeId), reply);
        }

        /** An in-doubt participant's question, or its ABORT proposal (appended; the first decision wins). */
        private CompletableFuture<Response> resolve(ResolveRequest resolve, Response.Builder reply) {
            String attempt = resolve.getAttemptId();
            Optional<String> problem = TxnIds.attemptProblem(attempt);
            if (problem.isPresent()) {
                return CompletableFuture.completedFuture(
                        reply.setError(ErrorCode.INVALID_REQUEST.toProto(problem.get())).build());
            }
            if (!resolve.getProposeAbort()) {
                return answer(logClient.readVia(attempt, nodeId), reply);
            }
            LOG.info("[{}] {} proposes ABORT of {}: {}", nodeId, resolve.getProposer(), attempt, resolve.getReason());
            CompletableFuture<TxnState> state = logClient
                    .append(LogRecords.decide(attempt, Outcome.ABORT, resolve.getReason(), resolve.getProposer()))
                    .thenApply(result -> TxnState.newBuilder().setTid(attempt).setStatus(result.getStatus())
                            .setOutcome(result.getOutcome()).setReason(result.getReason()).build());
            return answer(state, reply);
        }

        private CompletableFuture<Response> answer(CompletableFuture<TxnState> state, Response.Builder reply) {
            return state.orTimeout(rpcTimeoutMs, TimeUnit.MILLISECONDS)
                    .handle((txn, error) -> {
                        if (error == null) {
                            return reply.setTxnState(txn).build();
                        }
                        Throwable cause = error instanceof CompletionException && error.getCause() != null
                                ? error.getCause() : error;
                        return reply.setError(ErrorCode.UNAVAILABLE.toProto(
                                "[" + nodeId + "] cannot reach the log now (is a majority of nodes up?): " + cause))
                                .build();
                    });
        }
    }
}
