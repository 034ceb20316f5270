package io.dtm.coordinator;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One connection per participant service, shared by every transaction this node coordinates
 * (many requests in flight on each). A connection that closed is replaced on next use.
 *
 * <p>Called on the coordinator's event loop: a new connection is made on another thread, since
 * resolving a host name may block.
 */
final class ParticipantPool implements AutoCloseable {
    private final ClusterConfig config;
    private final DtmConnections connections;
    private final Map<ServiceName, CompletableFuture<ParticipantClient>> clients = new EnumMap<>(ServiceName.class);
    private final ExecutorService connector = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "participant-connector");
        t.setDaemon(true);
        return t;
    });

    ParticipantPool(ClusterConfig config, DtmConnections connections) {
        this.config = config;
        this.connections = connections;
    }

    synchronized CompletableFuture<ParticipantClient> client(ServiceName service) {
        CompletableFuture<ParticipantClient> current = clients.get(service);
        if (current != null && (!current.isDone() || (!current.isCompletedExceptionally() && current.join().isActive()))) {
            return current;
        }
        CompletableFuture<ParticipantClient> fresh = CompletableFuture
                .supplyAsync(() -> connections.connectParticipant(service, config.service(service)), connector)
                .thenCompose(connecting -> connecting);
        clients.put(service, fresh);
        return fresh;
    }

    @Override
    public synchronized void close() {
        for (CompletableFuture<ParticipantClient> c : clients.values()) {
            c.thenAccept(ParticipantClient::close);
        }
        clients.clear();
        connector.shutdownNow();
    }
}
