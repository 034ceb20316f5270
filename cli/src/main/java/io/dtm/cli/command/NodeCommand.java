package io.dtm.cli.command;

import io.dtm.log.TxnLogServer;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.DigestKeyFile;
import io.dtm.coordinator.CoordinatorNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "node",
        description = {"Run one coordinator node in the foreground.",
            "It serves its share of the replicated log (Raft) and answers clients on its client port,",
            "until it is stopped (Ctrl-C or SIGTERM)."},
        footer = {"", "Examples:",
            "  ./dtm node --id n1 --new-cluster                   n1 of the bundled local cluster, its first start",
            "  ./dtm node --id n1                                 n1 again, on its log",
            "  ./dtm node --id n2 --config my-cluster.yaml",
            "  ./dtm node --id n3 --data-dir /var/lib/dtm         keep data in /var/lib/dtm/n3",
            "  ./dtm node --id n4 --join                          a node being added (./dtm cluster replace-node does it)",
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

    @Option(names = "--new-cluster",
            description = {"This is the first start of a new cluster: a node with no log creates its groups.",
                "Without it (or --join), a node with no log refuses to start: its disk may have been lost."})
    boolean newCluster;

    @Option(names = "--join",
            description = {"This node is being added to a running cluster (./dtm cluster replace-node does this):",
                "with no log, it waits until each of its groups' leaders adds it, then catches up."})
    boolean join;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (newCluster && join) {
            throw new UserException("--new-cluster and --join exclude each other: a node either helps create a new"
                    + " cluster or joins a running one");
        }
        TxnLogServer.Start start = newCluster ? TxnLogServer.Start.NEW_CLUSTER
                : join ? TxnLogServer.Start.JOIN : TxnLogServer.Start.RESTART;
        ClusterConfig cluster = ClusterConfig.loadOrDefault(config);
        if (dataDir != null) {
            cluster = cluster.withDataDir(dataDir);
        }
        cluster.node(id); // fails with the known ids when this one is not configured
        createDigestKeyForALocalCluster(cluster);
        CoordinatorNode node;
        try {
            node = CoordinatorNode.start(cluster, id, start);
        } catch (IOException e) {
            throw new UserException("node " + id + " could not start: " + e.getMessage()
                    + " (is another process using its ports? check ./dtm cluster status)");
        } catch (IllegalStateException e) {
            throw new UserException("node " + id + " could not start: " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, id + "-shutdown"));
        stopped.await();
        return 0;
    }

    /**
     * A cluster whose nodes all run on this machine shares one tls.dir, so the first node to start
     * can make the cluster's request digest key and the others read the same file (made atomically,
     * never replaced). Nodes on several machines need the same file copied to each: there a missing
     * key is refused by the node, saying so, rather than made apart on each machine.
     */
    private static void createDigestKeyForALocalCluster(ClusterConfig cluster) {
        boolean allHere = cluster.nodes().stream().allMatch(n -> isLoopback(n.host()));
        if (allHere && DigestKeyFile.createIfAbsent(cluster.tlsDir(), new SecureRandom())) {
            System.out.println("created the cluster's request digest key " + DigestKeyFile.path(cluster.tlsDir())
                    + " (every node on this machine reads it)");
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
