package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

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
}
