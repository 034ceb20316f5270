package io.dtm.participant;

import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.Failures;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.KnownNodes;
import io.dtm.rpc.NodeClient;
import io.dtm.protocol.RemoteException;
import io.dtm.config.ClusterConfig;
import io.dtm.protocol.log.TxnState;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * The replicated log as an in-doubt participant sees it: any coordinator node answers a question,
 * the leader alone takes an ABORT proposal (the log takes records only from its leader's own path),
 * so each request goes to the node that answered last and moves on when that one cannot answer
 * (down, cut off from the majority, or not the leader: then to the leader it names).
 */
final class CoordinatorDecisionSource implements DecisionSource, AutoCloseable {
    /** The configured nodes, then those learned from NOT_LEADER (a node added since this service started). */
    private final KnownNodes nodes;
    private final String proposer;
    private final DtmConnections connections;
    private final AtomicReferenceArray<CompletableFuture<NodeClient>> clients;
    private final AtomicInteger preferred = new AtomicInteger();

    CoordinatorDecisionSource(ClusterConfig config, String proposer, DtmConnections connections) {
        this.nodes = new KnownNodes(config.nodes());
        this.proposer = proposer;
        this.connections = connections;
        this.clients = new AtomicReferenceArray<>(nodes.capacity());
    }

    @Override
    public CompletableFuture<TxnState> state(String attemptId) {
        return ask(c -> c.resolve(attemptId, false, "", proposer));
    }

    @Override
    public CompletableFuture<TxnState> proposeAbort(String attemptId, String reason) {
        return ask(c -> c.resolve(attemptId, true, reason, proposer));
    }

    private CompletableFuture<TxnState> ask(Function<NodeClient, CompletableFuture<TxnState>> question) {
        return askFrom(preferred.get(), 0, question, null);
    }

    private CompletableFuture<TxnState> askFrom(int index, int tried, Function<NodeClient,
            CompletableFuture<TxnState>> question, Throwable lastError) {
        if (tried >= nodes.size()) {
            return CompletableFuture.failedFuture(new IOException("no coordinator node could answer: " + lastError,
                    lastError));
        }
        int i = Math.floorMod(index, nodes.size());
        return client(i).thenCompose(question).handle((state, error) -> {
            if (error == null) {
                preferred.set(i);
                return CompletableFuture.completedFuture(state);
            }
            Throwable cause = Failures.unwrap(error);
            if (cause instanceof RemoteException remote && !remote.code().retriable()) {
                return CompletableFuture.<TxnState>failedFuture(cause);
            }
            return askFrom(next(i, cause), tried + 1, question, cause);
        }).thenCompose(Function.identity());
    }

    /** The node to ask after node {@code i} failed: the leader it named (an ABORT needs the leader), else the next. */
    private int next(int i, Throwable cause) {
        if (cause instanceof RemoteException remote && remote.code() == ErrorCode.NOT_LEADER) {
            int j = nodes.indexOrLearn(remote.leaderId(), remote.leaderAddress());
            if (j >= 0 && j != i) {
                return j;
            }
        }
        return i + 1;
    }

    /** A live connection to node {@code i}, reconnecting when the last one closed or never opened. */
    private CompletableFuture<NodeClient> client(int i) {
        CompletableFuture<NodeClient> current = clients.get(i);
        if (current != null && !(current.isDone() && (current.isCompletedExceptionally() || !current.join().isActive()))) {
            return current;
        }
        CompletableFuture<NodeClient> fresh = connections.connect(nodes.get(i));
        clients.set(i, fresh);
        return fresh;
    }

    @Override
    public void close() {
        for (int i = 0; i < clients.length(); i++) {
            CompletableFuture<NodeClient> c = clients.get(i);
            if (c != null && c.isDone() && !c.isCompletedExceptionally()) {
                c.join().close();
            }
        }
    }
}
