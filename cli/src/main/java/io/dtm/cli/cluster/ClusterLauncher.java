package io.dtm.cli.cluster;

import io.dtm.cli.CliConnections;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.config.ServiceConfig;
import io.dtm.config.ServiceName;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView.NodeView;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Starts and stops the processes of a cluster that lives in a {@link ClusterDir}. Used by
 * {@code dtm cluster start|stop} and by {@code dtm demo}.
 */
public final class ClusterLauncher {
    private final ClusterDir dir;
    private final PrintWriter out;
    private final List<String> javaOptions;

    public ClusterLauncher(ClusterDir dir, PrintWriter out) {
        this(dir, out, List.of());
    }

    /** With {@code javaOptions} added to every process's JVM ({@link ProcessLauncher#NAME_PLACEHOLDER} is its name). */
    public ClusterLauncher(ClusterDir dir, PrintWriter out, List<String> javaOptions) {
        this.dir = dir;
        this.out = out;
        this.javaOptions = List.copyOf(javaOptions);
    }

    /**
     * The configuration this directory runs with. The first start saves it as DIR/cluster.yaml
     * (data directory inside DIR); later starts reuse it and refuse a different one, because the
     * data in DIR belongs to that cluster.
     */
    public ClusterConfig prepare(Path configFile) throws IOException {
        return prepare(configFile, false);
    }

    /** As {@link #prepare(Path)}; {@code faultInjection} turns participants.faultInjection on (off leaves the file's value). */
    public ClusterConfig prepare(Path configFile, boolean faultInjection) throws IOException {
        ClusterConfig base = configFile != null ? ClusterConfig.load(configFile)
                : Files.isRegularFile(dir.configFile()) ? ClusterConfig.load(dir.configFile())
                : ClusterConfig.loadDefault();
        if (faultInjection) {
            base = base.withParticipants(base.participants().withFaultInjection(true));
        }
        return prepare(base);
    }

    public ClusterConfig prepare(ClusterConfig base) throws IOException {
        Files.createDirectories(dir.root());
        ClusterConfig wanted = base.withDataDir(dir.dataDir()).withTlsDir(dir.tlsDir());
        // The cluster's secrets, made with the cluster (kept when the directory already has them).
        List<String> made = ClusterPki.prepare(wanted, dir.caDir());
        if (!made.isEmpty()) {
            out.println("created " + made.size() + " secret files in " + dir.tlsDir() + (wanted.tls().enabled()
                    ? " (a CA, its key apart in " + dir.caDir() + ", and a certificate for every process; ./dtm certs show"
                            + " --dir " + dir.root() + " lists them)" : " (the request digest key)"));
        }
        if (Files.isRegularFile(dir.configFile())) {
            ClusterConfig existing = ClusterConfig.load(dir.configFile());
            if (!existing.toYaml().equals(wanted.toYaml())) {
                String faults = existing.participants().faultInjection() == wanted.participants().faultInjection() ? ""
                        : existing.participants().faultInjection() ? " (it has fault injection on)"
                        : " (it has fault injection off; --fault-injection applies to a new directory)";
                throw new UserException(dir.root() + " already holds a cluster started with another configuration ("
                        + dir.configFile() + ")" + faults + ". Start without --config to reuse it, or choose a new --dir.");
            }
            return existing;
        }
        Files.writeString(dir.configFile(), wanted.toYaml(), StandardCharsets.UTF_8);
        return ClusterConfig.load(dir.configFile());
    }

    /** Starts every node and participant service that is not running; returns the names of those it started. */
    public List<String> startMissing(ClusterConfig config) throws IOException {
        List<String> started = new ArrayList<>();
        ProcessLauncher.aotStaleness().ifPresent(why -> out.println("warning: " + why
                + "; the processes start without them (slower to start and to reach speed). `mvn package`"
                + " makes them anew."));
        for (NodeConfig node : config.nodes()) {
            startNode(node, dir.formed() ? List.of() : List.of("--new-cluster"), started);
        }
        for (ServiceName service : config.services().keySet()) {
            ServiceConfig address = config.service(service);
            startIfMissing(service.id(), service.id(), List.of(address.port()), address.host(),
                    List.of("participant", "--service", service.id(), "--config", dir.configFile().toString()), started);
        }
        out.flush();
        return started;
    }

    /**
     * Starts coordinator {@code node} with {@code flags} added ({@code --new-cluster}, {@code --join})
     * unless it runs; adds its id to {@code started} if it started it.
     */
    public void startNode(NodeConfig node, List<String> flags, List<String> started) throws IOException {
        List<String> args = new ArrayList<>(List.of("node", "--id", node.id(), "--config", dir.configFile().toString()));
        args.addAll(flags);
        startIfMissing(node.id(), ProcessLauncher.NODE_CACHE, List.of(node.clientPort(), node.raftPort()), node.host(),
                args, started);
        out.flush();
    }

    private void startIfMissing(String name, String cache, List<Integer> ports, String host, List<String> args,
            List<String> started) throws IOException {
        Optional<ProcessHandle> running = dir.running(name);
        if (running.isPresent()) {
            out.printf("%s already running (pid %d)%n", name, running.get().pid());
            return;
        }
        for (int port : ports) {
            if (!portFree(host, port)) {
                throw new UserException("port " + port + " of " + name + " on " + host + " is in use: another cluster"
                        + " may be running (./dtm cluster status; ./dtm cluster stop --dir ITS_DIR), or choose other"
                        + " ports with --config.");
            }
        }
        long pid = ProcessLauncher.start(dir, name, cache, javaOptions, args);
        dir.writePid(name, pid);
        started.add(name);
        out.printf("%s started (pid %d), log %s%n", name, pid, dir.logFile(name));
    }

    /** Stops coordinator {@code id} if it runs from DIR (SIGTERM, then SIGKILL after 10 s); says so. */
    public void stopNode(String id) {
        if (dir.stop(id, Duration.ofSeconds(10))) {
            out.println(id + " stopped");
            out.flush();
        }
    }

    /** Stops every process with a pid file in DIR, all at once (SIGTERM, then SIGKILL after {@code grace}). */
    public void stopAll(Duration grace) {
        List<String> processes = dir.processesWithPidFiles();
        if (processes.isEmpty()) {
            out.println("nothing to stop in " + dir.root());
        }
        Set<String> wereRunning = dir.stop(processes, grace);
        for (String name : processes) {
            out.println(name + (wereRunning.contains(name) ? " stopped" : " was not running"));
        }
        out.flush();
    }

    /**
     * Polls until every log group has a ready leader and every process just started answers; fails
     * early, with the log's last lines, if a process that was just started exits. Returns the status of
     * the node that leads in its first group (with one log group, the cluster's leader).
     */
    public NodeStatus awaitLeader(ClusterConfig config, List<String> justStarted) throws InterruptedException {
        NodeStatus leader = awaitView(config, justStarted, view -> view.everyGroupLed()
                        && view.leader().filter(NodeStatus::getLeaderReady).isPresent()
                        && view.nodes().stream().filter(n -> justStarted.contains(n.id())).allMatch(NodeView::reachable)
                        && view.services().stream().filter(s -> justStarted.contains(s.name()))
                                .allMatch(ClusterView.ServiceView::reachable),
                "no leader, or a process did not come up,").leader().orElseThrow();
        try {
            dir.markFormed();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.formedMarker(), e);
        }
        return leader;
    }

    /** Polls the nodes until {@code condition} holds for what they report. */
    public ClusterView awaitView(ClusterConfig config, List<String> justStarted, Predicate<ClusterView> condition,
            String whatFailed) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(config.timeouts().startupTimeoutMs()).toNanos();
        try (DtmConnections connections = CliConnections.open(config, Duration.ofSeconds(2))) {
            while (true) {
                for (String id : justStarted) {
                    if (!dir.alive(id)) {
                        throw new UserException(id + " exited during startup. Last lines of " + dir.logFile(id) + ":"
                                + System.lineSeparator() + dir.logTail(id, 15));
                    }
                }
                ClusterView view = ClusterStatusReader.read(config, connections);
                if (condition.test(view)) {
                    return view;
                }
                if (System.nanoTime() > deadline) {
                    throw new UserException(whatFailed + " after " + config.timeouts().startupTimeoutMs()
                            + " ms; a majority of nodes must run. Logs: " + dir.root() + "/<node>.log");
                }
                Thread.sleep(50);
            }
        }
    }

    /** True when none of the node's ports is taken right now. */
    public static boolean portsFree(NodeConfig node) {
        return portFree(node.host(), node.clientPort()) && portFree(node.host(), node.raftPort());
    }

    static boolean portFree(String host, int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
