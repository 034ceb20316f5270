package io.dtm.rpc;

import io.dtm.protocol.Failures;
import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.ServiceConfig;
import io.dtm.config.ServiceName;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Asks every node and participant service of a cluster for its status, all at once, and gathers the answers. */
public final class ClusterStatusReader {
    private ClusterStatusReader() {
    }

    /** Never fails: a node that cannot be asked is reported unreachable with the reason. */
    public static ClusterView read(ClusterConfig config, DtmConnections connections) {
        List<CompletableFuture<ClusterView.NodeView>> answers = new ArrayList<>();
        for (NodeConfig node : config.nodes()) {
            answers.add(connections.connect(node)
                    .thenCompose(client -> client.status().whenComplete((s, e) -> client.close()))
                    .handle((status, error) -> status != null
                            ? new ClusterView.NodeView(node.id(), node.clientAddress(), status, null)
                            : new ClusterView.NodeView(node.id(), node.clientAddress(), null, describe(error))));
        }
        List<CompletableFuture<ClusterView.ServiceView>> services = new ArrayList<>();
        for (ServiceName service : config.services().keySet()) {
            ServiceConfig address = config.service(service);
            services.add(connections.connectParticipant(service, address)
                    .thenCompose(client -> client.inspect().whenComplete((r, e) -> client.close()))
                    .handle((inspect, error) -> inspect != null
                            ? new ClusterView.ServiceView(service.id(), address.address(), inspect, null)
                            : new ClusterView.ServiceView(service.id(), address.address(), null, describe(error))));
        }
        return new ClusterView(answers.stream().map(CompletableFuture::join).toList(),
                services.stream().map(CompletableFuture::join).toList(), config.log().groups());
    }

    static String describe(Throwable error) {
        Throwable e = Failures.unwrap(error);
        StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c.getMessage() != null && !out.toString().contains(c.getMessage())) {
                out.append(": ").append(c.getMessage());
            }
        }
        return out.toString();
    }
}
