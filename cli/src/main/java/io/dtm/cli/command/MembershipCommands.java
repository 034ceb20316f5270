package io.dtm.cli.command;

import io.dtm.cli.UserException;
import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.MembershipChange;
import io.dtm.config.NodeConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

import static picocli.CommandLine.Model.CommandSpec;

/** {@code dtm cluster add-node|remove-node|replace-node}: change the nodes of a cluster in a directory ({@link MembershipChange}). */
final class MembershipCommands {
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private MembershipCommands() {
    }

    /** {@code --dir}: the directory of the cluster whose nodes change. */
    static final class Dir {
        @Option(names = "--dir", paramLabel = "DIR", defaultValue = "run/local",
                description = "The cluster's directory. Default: ${DEFAULT-VALUE}.")
        Path path;

        ClusterDir cluster() {
            return new ClusterDir(path);
        }
    }

    /** Where a new node listens: all of host and ports, or none (the next free ports after the cluster's). */
    static final class Address {
        @Option(names = "--host", paramLabel = "HOST", description = "The new node's host. Default: the host of the node it replaces (or of the first node).")
        String host;

        @Option(names = "--client-port", paramLabel = "PORT", description = "Its client port. Default: the next free one after the cluster's highest.")
        Integer clientPort;

        @Option(names = "--raft-port", paramLabel = "PORT", description = "Its Raft port. Default: likewise.")
        Integer raftPort;

        @Option(names = "--admin-port", paramLabel = "PORT", description = "Its admin port. Default: likewise.")
        Integer adminPort;

        Optional<NodeConfig> node(String id) {
            if (clientPort == null && raftPort == null && adminPort == null && host == null) {
                return Optional.empty();
            }
            if (host == null || clientPort == null || raftPort == null || adminPort == null) {
                throw new UserException("give the new node's --host, --client-port, --raft-port and --admin-port all"
                        + " together, or none of them (the next free ports after the cluster's)", 2);
            }
            return Optional.of(new NodeConfig(id, host, clientPort, raftPort, adminPort));
        }
    }

    static String checkedId(String id) {
        if (!NODE_ID.matcher(id).matches()) {
            throw new UserException("\"" + id + "\" is not a node id (1 to 64 letters, digits, '.', '_' or '-')", 2);
        }
        return id;
    }

    @Command(name = "replace-node",
            description = {"Move every log group of node OLD to node NEW, while transactions keep committing.",
                "NEW is written into DIR/cluster.yaml in OLD's place, started with --join, and each group's leader",
                "adds it (it catches up first) and drops OLD. OLD is stopped if it runs; its data is moved aside.",
                "NEW may be OLD itself: a node that lost its disk is taken out of its groups and added again empty.",
                "Refused, changing nothing, when a group has no leader or would lose its majority."},
            footer = {"", "Examples:",
                "  ./dtm cluster replace-node n3 n4              n3's machine died: n4 takes its groups",
                "  ./dtm cluster replace-node n2 n2              n2 lost its disk: re-add it as a new member",
                "  ./dtm cluster replace-node n3 n4 --host 10.0.0.4 --client-port 7101 --raft-port 7201 --admin-port 7301"},
            mixinStandardHelpOptions = true)
    static final class ReplaceNode implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "OLD", description = "The node to replace.")
        String old;

        @Parameters(index = "1", paramLabel = "NEW", description = "The node that takes its place (a new id, or OLD to re-add it).")
        String replacement;

        @picocli.CommandLine.Mixin
        Dir dir;

        @picocli.CommandLine.Mixin
        Address address;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            new MembershipChange(dir.cluster(), spec.commandLine().getOut())
                    .replace(checkedId(old), checkedId(replacement), address.node(replacement));
            return 0;
        }
    }

    @Command(name = "add-node",
            description = {"Add node ID to the cluster, while transactions keep committing.",
                "ID is appended to DIR/cluster.yaml and started with --join; the log groups that the longer",
                "node list places on it move to it (each group's leader adds it, then drops the member it replaces)."},
            footer = {"", "Examples:", "  ./dtm cluster add-node n4", "  ./dtm cluster add-node n5 --dir /tmp/c2"},
            mixinStandardHelpOptions = true)
    static final class AddNode implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "The new node's id.")
        String id;

        @picocli.CommandLine.Mixin
        Dir dir;

        @picocli.CommandLine.Mixin
        Address address;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            new MembershipChange(dir.cluster(), spec.commandLine().getOut()).add(checkedId(id), address.node(id));
            return 0;
        }
    }

    @Command(name = "remove-node",
            description = {"Take node ID out of the cluster, while transactions keep committing.",
                "Its log groups move to the other nodes as the shorter node list places them; then it is stopped",
                "and its data moved aside. Refused, changing nothing, when a group would lose its majority."},
            footer = {"", "Examples:", "  ./dtm cluster remove-node n4"},
            mixinStandardHelpOptions = true)
    static final class RemoveNode implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "ID", description = "The node to remove.")
        String id;

        @picocli.CommandLine.Mixin
        Dir dir;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            new MembershipChange(dir.cluster(), spec.commandLine().getOut()).remove(checkedId(id));
            return 0;
        }
    }
}
