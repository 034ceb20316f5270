package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.Json;
import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.ClusterLauncher;
import io.dtm.config.ClusterConfig;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "cluster",
        description = "Start, stop and inspect a cluster of background processes on this machine.",
        mixinStandardHelpOptions = true,
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Stop.class, ClusterCommand.Status.class,
            MembershipCommands.AddNode.class, MembershipCommands.RemoveNode.class, MembershipCommands.ReplaceNode.class})
public final class ClusterCommand {

    @Command(name = "start",
            description = {"Start the cluster's processes (3 nodes, 4 services) in the background; return once a leader is elected.",
                "Everything the cluster writes goes to DIR: data/, <name>.pid and <name>.log per process.",
                "On a DIR whose cluster is partly running, only the missing processes start, on their existing data."},
            footer = {"", "Examples:",
                "  ./dtm cluster start                              the bundled local cluster in run/local",
                "  ./dtm cluster start --dir /tmp/c2 --config c2.yaml",
                "  kill -9 $(cat run/local/n2.pid); ./dtm cluster start     bring a killed node back",
                "  ./dtm cluster start --dir run/faulty --fault-injection    services that accept ./dtm faults"},
            mixinStandardHelpOptions = true)
    static final class Start implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @Option(names = "--fault-injection",
                description = {"Let the services play faults (participants.faultInjection: true; ./dtm faults):",
                    "a test feature, off by default, since whoever reaches a service can then crash or silence it."})
        boolean faultInjection;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            ClusterDir dir = options.clusterDir();
            ClusterLauncher launcher = new ClusterLauncher(dir, out);
            ClusterConfig config = launcher.prepare(options.config, faultInjection);
            List<String> started = launcher.startMissing(config);
            String leader = launcher.awaitLeader(config, started).getNodeId();
            if (config.log().groups() == 1) {
                out.printf("cluster is up: leader %s; directory %s%n", leader, dir.root());
            } else {
                ClusterView view;
                try (DtmConnections connections = CliConnections.open(config,
                        Duration.ofMillis(config.timeouts().rpcTimeoutMs()))) {
                    view = ClusterStatusReader.read(config, connections);
                }
                out.printf("cluster is up: leaders %s; directory %s%n", describeLeaders(view), dir.root());
            }
            return 0;
        }
    }

    @Command(name = "stop",
            description = {"Stop every process of the cluster in DIR.", "SIGTERM to all at once, then SIGKILL to any still running after a grace period. Data stays."},
            footer = {"", "Examples:", "  ./dtm cluster stop", "  ./dtm cluster stop --dir /tmp/c2"},
            mixinStandardHelpOptions = true)
    static final class Stop implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "run/local",
                description = "The cluster's directory. Default: ${DEFAULT-VALUE}.")
        java.nio.file.Path dirPath;

        @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "10",
                description = "Seconds to wait after SIGTERM before SIGKILL. Default: ${DEFAULT-VALUE}.")
        int graceSeconds;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            new ClusterLauncher(new ClusterDir(dirPath), spec.commandLine().getOut())
                    .stopAll(Duration.ofSeconds(graceSeconds));
            return 0;
        }
    }

    @Command(name = "status",
            description = {"Show how every node sees the cluster (role, term, commit and applied index) and the services.",
                "Exit code 0 when a leader is known, 1 when nodes answer but none leads, 3 when no node answers."},
            footer = {"", "Examples:", "  ./dtm cluster status", "  ./dtm cluster status --json | jq .leader"},
            mixinStandardHelpOptions = true)
    static final class Status implements Callable<Integer> {
        @Mixin
        ConfigOptions options;

        @Option(names = "--json", description = "Print one JSON object instead of a table.")
        boolean json;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            ClusterConfig config = options.load();
            ClusterDir dir = options.clusterDir();
            ClusterView view;
            try (DtmConnections connections = CliConnections.open(config, Duration.ofMillis(config.timeouts().rpcTimeoutMs()))) {
                view = ClusterStatusReader.read(config, connections);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(Json.write(toJson(view, dir)));
            } else {
                printTable(out, view, dir);
            }
            out.flush();
            if (!view.anyReachable()) {
                spec.commandLine().getErr().println("dtm: no coordinator reachable at " + config.clientAddresses()
                        + ": is the cluster running? try ./dtm cluster start" + options.asGiven());
                return 3;
            }
            return view.leader().isPresent() && (view.groups() == 1 || view.everyGroupLed()) ? 0 : 1;
        }

        private static Map<String, Object> toJson(ClusterView view, ClusterDir dir) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("leader", view.leader().map(s -> s.getNodeId()).orElse(null));
            root.put("term", view.leader().map(s -> s.getTerm()).orElse(null));
            List<Map<String, Object>> groups = new ArrayList<>();
            for (int g = 0; g < view.groups(); g++) {
                Map<String, Object> group = new LinkedHashMap<>();
                group.put("group", g);
                Optional<ClusterView.GroupLeader> leader = view.leaderOf(g);
                group.put("leader", leader.map(ClusterView.GroupLeader::nodeId).orElse(null));
                group.put("leaderReady", leader.map(l -> l.status().getLeaderReady()).orElse(false));
                group.put("term", leader.map(l -> l.status().getTerm()).orElse(null));
                group.put("commitIndex", leader.map(l -> l.status().getCommitIndex()).orElse(null));
                group.put("appliedIndex", leader.map(l -> l.status().getAppliedIndex()).orElse(null));
                group.put("members", membersOf(view, g));
                groups.add(group);
            }
            root.put("groups", groups);
            List<Map<String, Object>> nodes = new ArrayList<>();
            for (ClusterView.NodeView n : view.nodes()) {
                Map<String, Object> node = new LinkedHashMap<>();
                node.put("id", n.id());
                node.put("address", n.address());
                node.put("reachable", n.reachable());
                node.put("pid", dir.running(n.id()).map(ProcessHandle::pid).orElse(null));
                if (n.reachable()) {
                    node.put("role", n.status().getRole());
                    node.put("term", n.status().getTerm());
                    node.put("commitIndex", n.status().getCommitIndex());
                    node.put("appliedIndex", n.status().getAppliedIndex());
                    node.put("leaderId", n.status().getLeaderId().isEmpty() ? null : n.status().getLeaderId());
                    node.put("inFlight", n.status().getInFlight());
                    node.put("retainedOutcomes", n.status().getRetainedOutcomes());
                    node.put("snapshotIndex", n.status().getSnapshotIndex());
                    node.put("logStartIndex", n.status().getLogStartIndex());
                    node.put("uptimeMs", n.status().getUptimeMs());
                    node.put("leads", view.groupsLedBy().getOrDefault(n.id(), List.of()));
                    List<Map<String, Object>> itsGroups = new ArrayList<>();
                    for (GroupStatus g : n.status().getGroupsList()) {
                        Map<String, Object> group = new LinkedHashMap<>();
                        group.put("group", g.getGroup());
                        group.put("role", g.getRole());
                        group.put("term", g.getTerm());
                        group.put("leaderId", g.getLeaderId().isEmpty() ? null : g.getLeaderId());
                        group.put("commitIndex", g.getCommitIndex());
                        group.put("appliedIndex", g.getAppliedIndex());
                        group.put("inFlight", g.getInFlight());
                        group.put("retainedOutcomes", g.getRetainedOutcomes());
                        group.put("coordinating", g.getCoordinating());
                        group.put("outOfOrderApplies", g.getOutOfOrderApplies());
                        itsGroups.add(group);
                    }
                    node.put("groups", itsGroups);
                } else {
                    node.put("role", null);
                    node.put("error", n.error());
                }
                nodes.add(node);
            }
            root.put("nodes", nodes);
            List<Map<String, Object>> services = new ArrayList<>();
            for (ClusterView.ServiceView v : view.services()) {
                Map<String, Object> service = new LinkedHashMap<>();
                service.put("name", v.name());
                service.put("address", v.address());
                service.put("reachable", v.reachable());
                service.put("pid", dir.running(v.name()).map(ProcessHandle::pid).orElse(null));
                if (v.reachable()) {
                    service.put("states", new LinkedHashMap<>(v.inspect().getStatesMap()));
                    service.put("prepared", v.inspect().getPreparedCount());
                } else {
                    service.put("error", v.error());
                }
                services.add(service);
            }
            root.put("services", services);
            root.put("violations", ViolationsCommand.toJson(view.violations()));
            return root;
        }

        private static void printTable(PrintWriter out, ClusterView view, ClusterDir dir) {
            if (view.groups() > 1) {
                printNodesOfGroups(out, view, dir);
                return;
            }
            String format = "%-6s %-10s %6s %9s %9s %9s %-9s %-22s %s%n";
            out.printf(format, "NODE", "ROLE", "TERM", "COMMIT", "APPLIED", "IN-FLIGHT", "REACHABLE", "ADDRESS", "PID");
            for (ClusterView.NodeView n : view.nodes()) {
                String pid = dir.running(n.id()).map(p -> Long.toString(p.pid())).orElse("-");
                if (n.reachable()) {
                    var s = n.status();
                    out.printf(format, n.id(), s.getRole(), s.getTerm(), s.getCommitIndex(), s.getAppliedIndex(),
                            s.getInFlight(), "yes", n.address(), pid);
                } else {
                    out.printf(format, n.id(), "-", "-", "-", "-", "-", "no", n.address(), pid);
                }
            }
            out.println(view.leader()
                    .map(s -> "leader: " + s.getNodeId() + " (term " + s.getTerm() + ")")
                    .orElse("leader: none known"));
            printServices(out, view, dir);
        }

        /** With several log groups: the nodes and the groups each leads, then each group and its leader. */
        private static void printNodesOfGroups(PrintWriter out, ClusterView view, ClusterDir dir) {
            Map<String, List<Integer>> led = view.groupsLedBy();
            String format = "%-6s %-9s %-12s %9s %-22s %s%n";
            out.printf(format, "NODE", "REACHABLE", "LEADS", "IN-FLIGHT", "ADDRESS", "PID");
            for (ClusterView.NodeView n : view.nodes()) {
                String pid = dir.running(n.id()).map(p -> Long.toString(p.pid())).orElse("-");
                String leads = led.getOrDefault(n.id(), List.of()).stream().map(g -> "g" + g)
                        .collect(Collectors.joining(","));
                out.printf(format, n.id(), n.reachable() ? "yes" : "no", leads.isEmpty() ? "-" : leads,
                        n.reachable() ? Long.toString(n.status().getGroupsList().stream()
                                .mapToLong(GroupStatus::getInFlight).sum()) : "-", n.address(), pid);
            }
            out.println();
            String groupFormat = "%-6s %-8s %6s %9s %9s %s%n";
            out.printf(groupFormat, "GROUP", "LEADER", "TERM", "COMMIT", "APPLIED", "MEMBERS");
            for (int g = 0; g < view.groups(); g++) {
                Optional<ClusterView.GroupLeader> leader = view.leaderOf(g);
                String members = String.join(",", membersOf(view, g));
                if (leader.isPresent()) {
                    GroupStatus s = leader.get().status();
                    out.printf(groupFormat, "g" + g, leader.get().nodeId() + (s.getLeaderReady() ? "" : "*"), s.getTerm(),
                            s.getCommitIndex(), s.getAppliedIndex(), members);
                } else {
                    out.printf(groupFormat, "g" + g, "none", "-", "-", "-", members);
                }
            }
            out.println("leaders: " + describeLeaders(view) + " (* not ready yet)");
            printServices(out, view, dir);
        }

        /** One line per group of a node whose replica applied entries out of log order (none when all is well). */
        static List<String> outOfOrderApplies(ClusterView view) {
            List<String> lines = new ArrayList<>();
            for (ClusterView.NodeView n : view.nodes()) {
                if (!n.reachable()) {
                    continue;
                }
                for (GroupStatus g : n.status().getGroupsList()) {
                    if (g.getOutOfOrderApplies() > 0) {
                        lines.add("INVARIANT VIOLATED: " + n.id() + " applied " + g.getOutOfOrderApplies() + " entries of"
                                + " log group " + g.getGroup() + " out of log order; its copy of the group's transactions"
                                + " may differ from its peers' (see its log)");
                    }
                }
            }
            return lines;
        }

        private static void printServices(PrintWriter out, ClusterView view, ClusterDir dir) {
            ViolationsCommand.print(out, view.violations());
            outOfOrderApplies(view).forEach(out::println);
            out.println();
            String serviceFormat = "%-10s %-9s %9s %10s %-22s %s%n";
            out.printf(serviceFormat, "SERVICE", "REACHABLE", "PREPARED", "COMMITTED", "ADDRESS", "PID");
            for (ClusterView.ServiceView v : view.services()) {
                String pid = dir.running(v.name()).map(p -> Long.toString(p.pid())).orElse("-");
                if (v.reachable()) {
                    out.printf(serviceFormat, v.name(), "yes", v.inspect().getPreparedCount(),
                            v.inspect().getStatesOrDefault("COMMITTED", 0), v.address(), pid);
                } else {
                    out.printf(serviceFormat, v.name(), "no", "-", "-", v.address(), pid);
                }
            }
            for (ClusterView.NodeView n : view.nodes()) {
                if (!n.reachable()) {
                    out.println(n.id() + ": " + n.error());
                }
            }
            for (ClusterView.ServiceView v : view.services()) {
                if (!v.reachable()) {
                    out.println(v.name() + ": " + v.error());
                }
            }
        }
    }

    /** "n1 (g0), n2 (g1), none (g2)": each log group's leader. */
    static String describeLeaders(ClusterView view) {
        List<String> out = new ArrayList<>();
        for (int g = 0; g < view.groups(); g++) {
            out.add(view.leaderOf(g).map(ClusterView.GroupLeader::nodeId).orElse("none") + " (g" + g + ")");
        }
        return String.join(", ", out);
    }

    /** A group's members as the nodes that host it report them. */
    static List<String> membersOf(ClusterView view, int group) {
        for (ClusterView.NodeView n : view.nodes()) {
            if (n.reachable()) {
                for (GroupStatus g : n.status().getGroupsList()) {
                    if (g.getGroup() == group) {
                        return g.getMembersList();
                    }
                }
            }
        }
        return List.of();
    }
}
