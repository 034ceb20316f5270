package io.dtm.cli.cluster;

import io.dtm.cli.CliConnections;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The fault of {@code dtm bench --kill-leader-after}: finds the leader — with several log groups, the
 * node that leads the most of them — SIGKILLs its process (a process of the cluster directory,
 * started by {@code dtm cluster start}) and times how long the cluster takes to have a ready leader
 * again in every group.
 */
public final class LeaderKill {
    /**
     * @param newLeader   the successor (with several groups, the nodes that now lead the killed one's groups)
     * @param newLeaderMs from the SIGKILL to a successor that reports itself ready (in every group); -1 if none
     *                    came in time
     */
    public record Outcome(String killed, long pid, String newLeader, double newLeaderMs) {
    }

    private static final Duration POLL = Duration.ofMillis(20);

    private final ClusterConfig config;
    private final ClusterDir dir;

    public LeaderKill(ClusterConfig config, ClusterDir dir) {
        this.config = config;
        this.dir = dir;
    }

    /** The leader's process, or a clear reason why it cannot be killed from here. */
    public ProcessHandle leaderProcess(String leader) {
        return dir.running(leader).orElseThrow(() -> new UserException("the leader " + leader + " is not a process of "
                + dir.root() + " (--kill-leader-after kills a process started by ./dtm cluster start; pass that --dir)",
                2));
    }

    /**
     * The current leader's id — with several log groups, that of the node leading the most — or empty
     * when no node reports itself a ready leader (of every group).
     */
    public Optional<String> leader() {
        return leader(view());
    }

    private ClusterView view() {
        try (DtmConnections connections = CliConnections.open(config, Duration.ofSeconds(1))) {
            return ClusterStatusReader.read(config, connections);
        }
    }

    private static Optional<String> leader(ClusterView view) {
        if (view.groups() == 1) {
            return view.leader().filter(NodeStatus::getLeaderReady).map(NodeStatus::getNodeId);
        }
        return view.everyGroupLed() ? view.busiestLeader() : Optional.empty();
    }

    /**
     * SIGKILLs {@code process}, whose node leads, after running {@code beforeKill}; then waits up to
     * {@code timeout} for another node to lead and be ready.
     */
    public Outcome kill(String leader, ProcessHandle process, Runnable beforeKill, Duration timeout) throws InterruptedException {
        beforeKill.run();
        long killedAt = System.nanoTime();
        process.destroyForcibly();
        long deadline = killedAt + timeout.toNanos();
        List<Integer> itsGroups = config.groupsOf(leader);
        while (System.nanoTime() < deadline) {
            ClusterView view = view();
            Optional<String> now = leader(view).filter(id -> !id.equals(leader));
            if (now.isPresent() && !view.groupsLedBy().containsKey(leader)) {
                String successor = view.groups() == 1 ? now.get() : itsGroups.stream()
                        .map(g -> view.leaderOf(g).map(ClusterView.GroupLeader::nodeId).orElse("?") + " (g" + g + ")")
                        .collect(Collectors.joining(", "));
                return new Outcome(leader, process.pid(), successor, (System.nanoTime() - killedAt) / 1e6);
            }
            Thread.sleep(POLL.toMillis());
        }
        return new Outcome(leader, process.pid(), null, -1);
    }
}
