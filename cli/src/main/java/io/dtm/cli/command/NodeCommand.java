package io.dtm.cli.command;

import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.coordinator.CoordinatorNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "node",
        description = {"Run one coordinator node in the foreground.",
            "It serves its share of the replicated log (Raft) and answers clients on its client port,",
            "until it is stopped (Ctrl-C or SIGTERM)."},
        footer = {"", "Examples:",
            "  ./dtm node --id n1                                 node n1 of the bundled local cluster",
            "  ./dtm node --id n2 --config my-cluster.yaml",
            "  ./dtm node --id n3 --data-dir /var/lib/dtm         keep data in /var/lib/dtm/n3",
            "", "Most people start all nodes at once with ./dtm cluster start."},
        mixinStandardHelpOptions = true)
public final class NodeCommand implements Callable<Integer> {
    @Option(names = "--id", required = true, paramLabel = "ID", description = "Node id, as in the configuration (e.g. n1).")
    String id;

    @Option(names = "--config", paramLabel = "FILE", description = "Cluster configuration (YAML). Default: the bundled local.yaml.")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Overrides the configuration's dataDir; the node keeps its data in DIR/<id>.")
    Path dataDir;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ClusterConfig cluster = ClusterConfig.loadOrDefault(config);
        if (dataDir != null) {
            cluster = cluster.withDataDir(dataDir);
        }
        cluster.node(id); // fails with the known ids when this one is not configured
        CoordinatorNode node;
        try {
            node = CoordinatorNode.start(cluster, id);
        } catch (IOException e) {
            throw new UserException("node " + id + " could not start: " + e.getMessage()
                    + " (is another process using its ports? check ./dtm cluster status)");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, id + "-shutdown"));
        stopped.await();
        return 0;
    }
}
