package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.NodeConfig;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.DtmConnections;

import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;

/**
 * The command line's connections to a cluster: over TLS when the cluster has it on, presenting
 * {@code admin.pem} when this machine has it (an operator: every command works), else
 * {@code client.pem} (submit and status only), both found through the configuration's tls section,
 * so {@code DIR/tls} for a cluster of {@code dtm cluster start}: nobody names a certificate by hand.
 */
public final class CliConnections {
    public static final String ADMIN = ClusterPki.ADMIN;
    public static final String CLIENT = ClusterPki.CLIENT;

    private CliConnections() {
    }

    public static DtmConnections open(ClusterConfig config, Duration requestTimeout) {
        return open(config, requestTimeout, "dtm-cli");
    }

    public static DtmConnections open(ClusterConfig config, Duration requestTimeout, String threadName) {
        try {
            return DtmConnections.of(config, identity(config), requestTimeout, threadName);
        } catch (ConfigException e) {
            // Most often no cluster was ever started from here (DIR/tls is made with it): each command then
            // says in its own words that no node could be reached, and this says why.
            String why = "no certificate for the command line (" + config.tlsCertFile(ADMIN) + " or "
                    + config.tlsCertFile(CLIENT) + ", and their keys): " + String.join("; ", e.problems());
            System.err.println("dtm: " + why);
            return DtmConnections.unusable(requestTimeout, threadName, why);
        }
    }

    /**
     * Connections that speak as one of the cluster's nodes, for the benchmarks that play a coordinator
     * towards a service (PREPARE is a node's request): the first node whose certificate and key are
     * readable here, as on the machine that runs the cluster.
     */
    public static DtmConnections openAsNode(ClusterConfig config, Duration requestTimeout, String threadName) {
        Optional<String> node = config.nodes().stream().map(NodeConfig::id)
                .filter(id -> Files.isReadable(config.tlsCertFile(id)) && Files.isReadable(config.tlsKeyFile(id)))
                .findFirst();
        if (config.tls().enabled() && node.isEmpty()) {
            String why = "this command plays a coordinator node towards the services (PREPARE is a node's request) and"
                    + " needs a node's certificate, e.g. " + config.tlsCertFile(config.nodes().get(0).id())
                    + ", which is not here";
            System.err.println("dtm: " + why);
            return DtmConnections.unusable(requestTimeout, threadName, why);
        }
        return DtmConnections.of(config, node.orElse(config.nodes().get(0).id()), requestTimeout, threadName);
    }

    /** Whose certificate the command line presents: {@code admin} when its files are readable, else {@code client}. */
    public static String identity(ClusterConfig config) {
        boolean admin = Files.isReadable(config.tlsCertFile(ADMIN)) && Files.isReadable(config.tlsKeyFile(ADMIN));
        return admin ? ADMIN : CLIENT;
    }
}
