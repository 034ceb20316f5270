package io.dtm.cli.cluster;

import io.dtm.cli.CliConnections;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;

import java.time.Duration;
import java.util.Optional;

/**
 * The fault of {@code dtm bench --kill-leader-after}: finds the leader, SIGKILLs its process (a
 * process of the cluster directory, started by {@code dtm cluster start}) and times how long the
 * cluster takes to have a ready leader again.
 */
public final class LeaderKill {
    /** @param newLeaderMs from the SIGKILL to a successor that reports itself ready; -1 if none came in time */
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

    /** The current leader's id, or empty when no node reports itself a ready leader. */
    public Optional<String> leader() {
        try (DtmConnections connections = CliConnections.open(config, Duration.ofSeconds(1))) {
            return ClusterStatusReader.read(config, connections).leader()
                    .filter(NodeStatus::getLeaderReady)
                    .map(NodeStatus::getNodeId);
        }
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
        while (System.nanoTime() < deadline) {
            Optional<String> now = leader().filter(id -> !id.equals(leader));
            if (now.isPresent()) {
                return new Outcome(leader, process.pid(), now.get(), (System.nanoTime() - killedAt) / 1e6);
            }
            Thread.sleep(POLL.toMillis());
        }
        return new Outcome(leader, process.pid(), null, -1);
    }
}
