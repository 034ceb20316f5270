package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.UserException;
import io.dtm.cli.cluster.ClusterDir;
import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * {@code --config} and {@code --dir}, shared by the commands that talk to a cluster.
 *
 * <p>Which configuration applies: {@code --config FILE} when given; otherwise the configuration
 * that {@code dtm cluster start} saved in the cluster's directory ({@code DIR/cluster.yaml});
 * otherwise the bundled default (three nodes and four services on 127.0.0.1).
 */
final class ConfigOptions {
    static final Path DEFAULT_DIR = Path.of("run", "local");

    @Option(names = "--config", paramLabel = "FILE",
            description = "Cluster configuration (YAML). Default: DIR/cluster.yaml if the cluster was started "
                    + "with dtm cluster start, else the bundled local.yaml (3 nodes, 4 services on 127.0.0.1).")
    Path config;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "The cluster's directory: data, pid files and logs. Default: ${DEFAULT-VALUE}.",
            defaultValue = "run/local")
    Path dir;

    /** The service a command names, or a usage error (exit code 2) that lists the known ones. */
    static ServiceName service(String id) {
        return ServiceName.fromId(id).orElseThrow(() -> new UserException(
                "unknown service \"" + id + "\" (expected one of: " + ServiceName.knownIds() + ")", 2));
    }

    ClusterDir clusterDir() {
        return new ClusterDir(dir);
    }

    /** The configuration as described above, its data directory inside DIR when it comes from DIR. */
    ClusterConfig load() {
        if (config != null) {
            return ClusterConfig.load(config);
        }
        Path saved = clusterDir().configFile();
        if (Files.isRegularFile(saved)) {
            return ClusterConfig.load(saved);
        }
        return ClusterConfig.loadDefault();
    }

    /** Refuses at once, with what to do next, when no coordinator node of {@code config} answers at all. */
    void requireCoordinator(ClusterConfig config) {
        try (DtmConnections connections = CliConnections.open(config, Duration.ofSeconds(5))) {
            if (!ClusterStatusReader.read(config, connections).anyReachable()) {
                throw new UserException("no coordinator reachable at " + config.clientAddresses()
                        + ": is the cluster running? try ./dtm cluster start" + asGiven(), 3);
            }
        }
    }

    /** The options as the user gave them, to repeat in a suggested command. */
    String asGiven() {
        return (dir.equals(DEFAULT_DIR) ? "" : " --dir " + dir) + (config == null ? "" : " --config " + config);
    }
}
