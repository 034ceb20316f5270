package io.dtm.coordinator;

import io.dtm.config.ClusterConfig;
import io.dtm.coordinator.admin.NodeMetrics;
import io.dtm.coordinator.core.CoordinatorSettings;
import io.dtm.coordinator.core.TxnRequest;
import io.dtm.coordinator.core.Violation;
import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.log.TxnLogClient;
import io.dtm.log.NotLeaderOfGroupException;
import io.dtm.log.TxnLogServer;
import io.dtm.protocol.AttemptId;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.Failures;
import io.dtm.protocol.RpcContext;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.ChangeMembersRequest;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.InvariantViolation;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.ResolveRequest;
import io.dtm.protocol.rpc.Response;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import io.dtm.pki.Identity;
import io.dtm.rpc.Access;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The client port of a node: transactions (each on the leader of its tid's log group only), a
 * transaction's state and an in-doubt participant's question (any node), and the node's own status.
 * Never blocks the event loop: every answer that needs the log or an engine completes asynchronously.
 */
final class ClientService {
    private static final Logger LOG = LoggerFactory.getLogger(ClientService.class);

    private final String nodeId;
    private final ClusterConfig config;
    private final CoordinatorSettings settings;
    private final TxnLogServer logServer;
    private final TxnLogClient logClient;
    private final NodeMetrics metrics;
    /** The engine of a log group, by index, while this node coordinates it; else null. */
    private final IntFunction<CoordinatorEngine> engines;
    private final long rpcTimeoutMs;
    private final Access access;

    ClientService(String nodeId, ClusterConfig config, CoordinatorSettings settings, TxnLogServer logServer,
            TxnLogClient logClient, NodeMetrics metrics, IntFunction<CoordinatorEngine> engines) {
        this.nodeId = nodeId;
        this.config = config;
        this.settings = settings;
        this.logServer = logServer;
        this.logClient = logClient;
        this.metrics = metrics;
        this.engines = engines;
        this.rpcTimeoutMs = config.timeouts().rpcTimeoutMs();
        this.access = new Access(config);
    }

    CompletableFuture<Response> handle(Request request, RpcContext context) {
        Response.Builder reply = Response.newBuilder().setRequestId(request.getRequestId());
        Optional<String> refused = Access.of(request)
                .flatMap(operation -> access.refusal(config.tls().enabled(), context.peerCertificate(), operation));
        if (refused.isPresent()) {
            return CompletableFuture.completedFuture(denied(reply, context, refused.get()));
        }
        return switch (request.getBodyCase()) {
            case SUBMIT -> submit(request.getSubmit(), reply);
            case NODE_STATUS -> CompletableFuture.completedFuture(reply.setNodeStatus(nodeStatus()).build());
            case TXN_STATUS -> txnStatus(request.getTxnStatus().getAttemptId(), reply);
            case RESOLVE -> resolve(request.getResolve(), context, reply);
            case LOG_DUMP -> CompletableFuture.completedFuture(reply.setLogDump(logServer.localPage(
                    request.getLogDump().getAfter(), pageSize(request.getLogDump().getLimit()))).build());
            case CHANGE_MEMBERS -> changeMembers(request.getChangeMembers(), reply);
            case BODY_NOT_SET -> CompletableFuture.completedFuture(reply
                    .setError(ErrorCode.INVALID_REQUEST.toProto("request has no body (a newer client?)"))
                    .build());
        };
    }

    /** An admin's change of a group's members: checked for shape here, agreed on by the group (TxnLogServer). */
    private CompletableFuture<Response> changeMembers(ChangeMembersRequest change, Response.Builder reply) {
        Optional<String> problem = MemberList.problem(change, logServer.groups().size());
        if (problem.isPresent()) {
            return CompletableFuture.completedFuture(reply.setError(ErrorCode.INVALID_REQUEST.toProto(problem.get()))
                    .build());
        }
        if (!logServer.hosts(change.getGroup())) {
            return CompletableFuture.completedFuture(notLeader(reply, change.getGroup()));
        }
        return logServer.changeMembersAsync(change.getGroup(), MemberList.peers(change)).handle((done, error) -> {
            if (error == null) {
                return reply.setNodeStatus(nodeStatus()).build();
            }
            Throwable cause = Failures.unwrap(error);
            if (cause.getCause() instanceof NotLeaderOfGroupException) {
                return notLeader(reply, change.getGroup());
            }
            LOG.warn("[{}] the change of members of log group {} failed: {}", nodeId, change.getGroup(), cause.getMessage());
            return reply.setError(ErrorCode.UNAVAILABLE.toProto("[" + nodeId + "] " + cause.getMessage())).build();
        });
    }

    /**
     * The log server's view, with which groups this node coordinates and their engines' open
     * invariant violations.
     */
    private NodeStatus nodeStatus() {
        NodeStatus.Builder out = logServer.status().toBuilder();
        for (GroupStatus.Builder group : out.getGroupsBuilderList()) {
            CoordinatorEngine running = engines.apply(group.getGroup());
            group.setCoordinating(running != null);
            if (running == null) {
                continue;
            }
            for (Violation v : running.violations()) {
                out.addViolations(InvariantViolation.newBuilder().setAttemptId(v.attemptId())
                        .setService(v.service().id()).setMessage(v.message()).setSinceMs(v.sinceMs()));
            }
        }
        return out.build();
    }

    /** Largest page of a log dump (a page of TxnStates stays well under the frame limit). */
    static final int MAX_DUMP_PAGE = 5_000;

    private static int pageSize(int asked) {
        return asked <= 0 ? MAX_DUMP_PAGE : Math.min(asked, MAX_DUMP_PAGE);
    }

    static Response errorResponse(Request request, Throwable error) {
        return Response.newBuilder()
                .setRequestId(request.getRequestId())
                .setError(ErrorCode.INTERNAL.toProto("internal error: " + error))
                .build();
    }

    // ------------------------------------------------------------------ transactions

    private CompletableFuture<Response> submit(SubmitRequest submit, Response.Builder reply) {
        // An invalid tid still maps to a group; validation below refuses it wherever it lands.
        int group = logServer.groups().indexOf(submit.getTid());
        CoordinatorEngine running = engines.apply(group);
        if (running == null) {
            return CompletableFuture.completedFuture(notLeader(reply, group));
        }
        TxnRequest.Validated validated = TxnRequest.validate(submit, settings);
        if (validated instanceof TxnRequest.Invalid invalid) {
            metrics.rejected();
            return CompletableFuture.completedFuture(reply.setSubmitResult(SubmitResult.newBuilder()
                    .setTid(submit.getTid()).setStatus(SubmitResult.Status.REJECTED).setReason(invalid.reason()))
                    .build());
        }
        TxnRequest request = ((TxnRequest.Valid) validated).request();
        return running.submit(request).handle((result, error) -> {
            if (error == null) {
                return reply.setSubmitResult(result).build();
            }
            Throwable cause = Failures.unwrap(error);
            if (cause instanceof CoordinatorEngine.NotLeaderException) {
                return notLeader(reply, group);
            }
            LOG.error("[{}] submit of {} failed", nodeId, request.tid(), cause);
            return reply.setError(ErrorCode.INTERNAL.toProto("[" + nodeId + "] " + cause)).build();
        });
    }

    /**
     * NOT_LEADER of log group {@code group} with its leader's id and client address when one is
     * known, UNAVAILABLE otherwise. A node that is no member of the group names the group's preferred
     * leader, which knows the actual one.
     */
    private Response notLeader(Response.Builder reply, int group) {
        String leader;
        String what;
        if (logServer.hosts(group)) {
            leader = logServer.status(group).getLeaderId();
            what = "not the leader of log group " + group + "; its leader is ";
        } else {
            leader = config.groupMembers(group).get(0);
            what = "not a member of log group " + group + "; ask its members " + config.groupMembers(group) + ", first ";
        }
        if (leader.isEmpty() || leader.equals(nodeId)) {
            // No leader yet, or this node leads but has not taken over yet: try again shortly.
            return reply.setError(ErrorCode.UNAVAILABLE.toProto("[" + nodeId + "] log group " + group
                    + " has no leader ready yet (election or takeover in progress); retry shortly")).build();
        }
        String address = access.nodes().find(leader).map(n -> n.clientAddress()).orElse("");
        return reply.setError(ErrorCode.NOT_LEADER.toProto("[" + nodeId + "] " + what + leader
                        + (address.isEmpty() ? "" : " at " + address))
                .toBuilder().setLeaderId(leader).setLeaderAddress(address).build()).build();
    }

    /** The state of an attempt, read linearizably: through this node when it holds the attempt's group, else its leader. */
    private CompletableFuture<TxnState> read(String attempt) {
        return logServer.hosts(logServer.groups().indexOf(attempt))
                ? logClient.readVia(attempt, nodeId) : logClient.read(attempt);
    }

    // ------------------------------------------------------------------ reads and in-doubt questions

    /**
     * A tid's state is its last attempt's: attempts {@code tid#1}, {@code tid#2}, ... are read in
     * turn (linearizably, through this node) until one is unknown. An attempt id is read as is.
     */
    private CompletableFuture<Response> txnStatus(String tid, Response.Builder reply) {
        Optional<String> problem = AttemptId.problem(tid);
        if (problem.isPresent()) {
            return CompletableFuture.completedFuture(reply.setError(ErrorCode.INVALID_REQUEST.toProto(problem.get()))
                    .build());
        }
        if (!AttemptId.isBare(tid)) {
            return answer(read(tid), reply);
        }
        // One read of the last attempt the log knows: tid#1 may have been evicted while tid#2 is
        // retained, so every attempt is looked at (in the state machine), not only up to a gap.
        return answer(logServer.hosts(logServer.groups().indexOf(tid)) ? logClient.readLastAttemptVia(tid, nodeId)
                : logClient.readLastAttempt(tid), reply);
    }

    /**
     * An in-doubt participant's question (answered by any node), or its ABORT proposal (appended by
     * the leader's coordinator of its term, so elsewhere NOT_LEADER; the first decision wins). A
     * service speaks for itself about attempts it takes part in ({@link Access#proposerRefusal},
     * {@link Access#participationRefusal}).
     */
    private CompletableFuture<Response> resolve(ResolveRequest resolve, RpcContext context, Response.Builder reply) {
        String attempt = resolve.getAttemptId();
        Optional<String> problem = AttemptId.problem(attempt);
        if (problem.isPresent()) {
            return CompletableFuture.completedFuture(reply.setError(ErrorCode.INVALID_REQUEST.toProto(problem.get()))
                    .build());
        }
        int maxChars = config.limits().maxReasonChars();
        if (resolve.getReason().length() > maxChars || resolve.getProposer().length() > maxChars) {
            // Both would be stored on every replica, for as long as the outcome is retained.
            return CompletableFuture.completedFuture(reply.setError(ErrorCode.INVALID_REQUEST.toProto(
                    "RESOLVE of " + attempt + ": reason of " + resolve.getReason().length() + " characters, proposer of "
                            + resolve.getProposer().length() + "; at most " + maxChars + " each (limits.maxReasonChars)"))
                    .build());
        }
        Optional<Identity> caller = config.tls().enabled() ? context.peerCertificate().flatMap(Identity::of)
                : Optional.empty();
        Optional<String> impostor = Access.proposerRefusal(caller, resolve.getProposer());
        if (impostor.isPresent()) {
            return CompletableFuture.completedFuture(denied(reply, context, impostor.get()));
        }
        metrics.inDoubtQueries();
        if (!resolve.getProposeAbort()) {
            return answer(read(attempt), reply).thenApply(r -> notTheirs(r, caller, attempt, context));
        }
        int group = logServer.groups().indexOf(attempt);
        CoordinatorEngine coordinator = engines.apply(group);
        if (coordinator == null) {
            return CompletableFuture.completedFuture(notLeader(reply, group));
        }
        metrics.inDoubtAbortProposals();
        // Read first: whose attempt it is (its participants) decides whether this caller may abort it.
        return read(attempt).orTimeout(rpcTimeoutMs, TimeUnit.MILLISECONDS).handle((state, error) -> {
            if (error != null) {
                return answer(CompletableFuture.failedFuture(error), reply);
            }
            Optional<String> notTheirs = Access.participationRefusal(caller, attempt, state.getParticipantsList());
            if (notTheirs.isPresent()) {
                return CompletableFuture.completedFuture(denied(reply, context, notTheirs.get()));
            }
            LOG.info("[{}] {} proposes ABORT of {}: {}", nodeId, resolve.getProposer(), attempt, resolve.getReason());
            return coordinator.proposeAbort(attempt, resolve.getReason(), resolve.getProposer())
                    .orTimeout(rpcTimeoutMs, TimeUnit.MILLISECONDS)
                    .handle((result, failed) -> {
                        if (failed != null && coordinator.isOpen()) {
                            return answer(CompletableFuture.failedFuture(failed), reply);
                        }
                        if (failed != null || result.getDisposition() == Disposition.FENCED) {
                            // This term's appender is closed or fenced: another leader decides now.
                            return CompletableFuture.completedFuture(notLeader(reply, group));
                        }
                        // The Decide's result knows the outcome but not the Begin's participants and
                        // digest, which the participant checks before applying a COMMIT: read them back.
                        return answer(read(attempt), reply);
                    }).thenCompose(Function.identity());
        }).thenCompose(Function.identity());
    }

    /** A state read for a service about an attempt it takes no part in is withheld. */
    private Response notTheirs(Response answered, Optional<Identity> caller, String attempt, RpcContext context) {
        if (!answered.hasTxnState()) {
            return answered;
        }
        return Access.participationRefusal(caller, attempt, answered.getTxnState().getParticipantsList())
                .map(why -> denied(answered.toBuilder().clearTxnState(), context, why))
                .orElse(answered);
    }

    private Response denied(Response.Builder reply, RpcContext context, String why) {
        long n = metrics.permissionDenied();
        if (n == 1 || n % 1_000 == 0) { // a hostile client must not flood the log as well
            LOG.warn("[{}] refused a request from {}: {} ({} refused so far)", nodeId, context, why, n);
        }
        return reply.setError(ErrorCode.PERMISSION_DENIED.toProto(why)).build();
    }

    private CompletableFuture<Response> answer(CompletableFuture<TxnState> state, Response.Builder reply) {
        return state.orTimeout(rpcTimeoutMs, TimeUnit.MILLISECONDS)
                .handle((txn, error) -> error == null
                        ? reply.setTxnState(txn).build()
                        : reply.setError(ErrorCode.UNAVAILABLE.toProto("[" + nodeId
                                + "] cannot reach the log now (is a majority of nodes up?): " + Failures.unwrap(error))).build());
    }

}
