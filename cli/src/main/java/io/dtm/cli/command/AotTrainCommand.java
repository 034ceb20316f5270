package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.Dtm;
import io.dtm.cli.UserException;
import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.ClusterLauncher;
import io.dtm.cli.cluster.ProcessLauncher;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;
import io.dtm.launch.AotCaches;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * The build's training run for the AOT caches (Java 25: JEP 483, 514, 515) that {@code dtm cluster
 * start} gives each process: a local cluster on free ports under a load of {@code dtm bench}, each
 * process writing its cache when it exits, then one cache for every node ({@code node.aot}, from
 * the node that led the load) and one per service. Hidden: the build runs it (cli/bin/aot-train),
 * people need not.
 */
@Command(name = "aot-train", hidden = true, mixinStandardHelpOptions = true,
        description = "Make the AOT caches of the nodes and services by a training run (the build runs this).")
public final class AotTrainCommand implements Callable<Integer> {
    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Where the caches go.")
    Path out;

    @Option(names = "--seconds", paramLabel = "N", defaultValue = "20", description = "Seconds of load. Default: 20.")
    int seconds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (Runtime.version().feature() < 25) {
            throw new UserException("aot-train needs Java 25 (this is Java " + Runtime.version().feature() + ")", 2);
        }
        PrintWriter log = spec.commandLine().getOut();
        Path outDir = out.toAbsolutePath();
        Path work = Files.createTempDirectory("dtm-aot-train");
        Files.createDirectories(outDir);
        ClusterDir dir = new ClusterDir(work);
        ClusterLauncher launcher = new ClusterLauncher(dir, log,
                List.of("-XX:AOTCacheOutput=" + outDir.resolve(ProcessLauncher.NAME_PLACEHOLDER + ".aot")));
        try {
            ClusterConfig config = launcher.prepare(ClusterConfig.loadDefault().withPorts(FreePorts::next));
            String leader = launcher.awaitLeader(config, launcher.startMissing(config)).getNodeId();
            StringWriter benchOutput = new StringWriter();
            int exit = Dtm.commandLine().setOut(new PrintWriter(benchOutput)).setErr(new PrintWriter(benchOutput))
                    .execute("bench", "--config", dir.configFile().toString(), "--concurrency", "64",
                            "--warmup", "0s", "--duration", seconds + "s", "--no-floor", "--json");
            if (exit != 0) {
                log.println("aot-train: the load failed (exit " + exit + "): " + benchOutput);
            }
            leader = leaderNow(config).orElse(leader);
            // SIGTERM: each JVM writes its cache as it exits, which takes a few seconds.
            launcher.stopAll(Duration.ofSeconds(120));
            keepLeaderCache(config.nodes().stream().map(NodeConfig::id).toList(), leader, outDir);
            log.printf("aot-train: %s.aot is %s's cache, the node that led the load%n", ProcessLauncher.NODE_CACHE,
                    leader);
            // Which build these caches belong to: dtm cluster start uses them only with that build.
            AotCaches.writeStamp(outDir, ProcessLauncher.programJar());
            log.printf("aot-train: caches in %s%n", outDir);
            log.flush();
            return exit == 0 ? 0 : 1;
        } finally {
            launcher.stopAll(Duration.ofSeconds(5));
            deleteTree(work);
        }
    }

    /** The node that leads now, if a leader answers. */
    private static Optional<String> leaderNow(ClusterConfig config) {
        try (DtmConnections connections = CliConnections.open(config, Duration.ofSeconds(2))) {
            return ClusterStatusReader.read(config, connections).leader().map(NodeStatus::getNodeId);
        }
    }

    /**
     * Every node runs the same code, so one cache serves them all: the leader's becomes node.aot, the
     * others go. Only the leader runs the two-phase-commit engine; a follower's cache has no profile
     * of it, and a new cluster warms up slower from it (docs/PERFORMANCE.md; before, node.aot was
     * always the first node's, a follower in about two builds of three). A follower's
     * stands in only when the leader wrote none: its classes still start a node sooner.
     */
    static void keepLeaderCache(List<String> nodes, String leader, Path outDir) throws IOException {
        List<String> preferred = new ArrayList<>(List.of(leader));
        nodes.stream().filter(n -> !n.equals(leader)).forEach(preferred::add);
        Path nodeCache = outDir.resolve(ProcessLauncher.NODE_CACHE + ".aot");
        Files.deleteIfExists(nodeCache);
        for (String node : preferred) {
            Path cache = outDir.resolve(node + ".aot");
            if (!Files.exists(nodeCache) && Files.isRegularFile(cache)) {
                Files.move(cache, nodeCache, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.deleteIfExists(cache);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
