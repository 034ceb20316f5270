package io.dtm.cli.command;

import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.participant.ParticipantServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "participant",
        description = {"Run one participant service in the foreground: inventory, payment, order or shipping.",
            "It keeps its state in RocksDB under <dataDir>/<service> (seeded on first start), votes on PREPAREs,",
            "applies COMMITs and ROLLBACKs, and asks the coordinators about transactions left in doubt."},
        footer = {"", "Examples:",
            "  ./dtm participant --service payment",
            "  ./dtm participant --service inventory --config my-cluster.yaml --data-dir /var/lib/dtm",
            "", "Most people start all four with ./dtm cluster start."},
        mixinStandardHelpOptions = true)
public final class ParticipantCommand implements Callable<Integer> {
    @Option(names = "--service", required = true, paramLabel = "SERVICE",
            description = "inventory, payment, order or shipping.")
    String service;

    @Option(names = "--config", paramLabel = "FILE", description = "Cluster configuration (YAML). Default: the bundled local.yaml.")
    Path config;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Overrides the configuration's dataDir; the service keeps its data in DIR/<service>.")
    Path dataDir;

    @Option(names = "--max-batch", paramLabel = "N",
            description = "Messages per synced write (group commit); 1 turns it off. Default: participants.maxBatch.")
    Integer maxBatch;

    @Override
    public Integer call() throws InterruptedException {
        ServiceName name = ConfigOptions.service(service);
        ClusterConfig cluster = ClusterConfig.loadOrDefault(config);
        if (dataDir != null) {
            cluster = cluster.withDataDir(dataDir);
        }
        int batch = maxBatch != null ? maxBatch : cluster.participants().maxBatch();
        if (batch < 1) {
            throw new UserException("--max-batch must be at least 1", 2);
        }
        ParticipantServer server;
        try {
            server = ParticipantServer.start(cluster, name, batch);
        } catch (IOException e) {
            throw new UserException(name.id() + " could not start: " + e.getMessage()
                    + " (is another process using its port or its data? check ./dtm cluster status)");
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, name.id() + "-shutdown"));
        stopped.await();
        return 0;
    }
}
