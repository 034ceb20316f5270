package io.dtm.log.raft;

import io.dtm.protocol.AttemptId;
import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The Raft groups that hold the transaction log, and the one function that routes a tid to its
 * group.
 *
 * <p>Today there is one group of all nodes. Every caller goes through {@link #indexOf(String)}, so
 * spreading tids over several groups (each with its leader on a different node, the way to scale
 * the coordinator out) changes this class and the server's group set, not its callers. The
 * routing must stay a pure function of the tid: every node and client must agree on it.
 */
public final class LogGroups {
    /** Groups per cluster. One until the coordinator is sharded. */
    static final int GROUP_COUNT = 1;

    private final List<RaftGroup> groups;

    private LogGroups(List<RaftGroup> groups) {
        this.groups = List.copyOf(groups);
    }

    public static LogGroups of(ClusterConfig config) {
        List<RaftPeer> peers = new ArrayList<>();
        for (NodeConfig node : config.nodes()) {
            peers.add(peer(node));
        }
        List<RaftGroup> groups = new ArrayList<>();
        for (int i = 0; i < GROUP_COUNT; i++) {
            groups.add(RaftGroup.valueOf(groupId(config.name(), i), peers));
        }
        return new LogGroups(groups);
    }

    /**
     * A stable group id: derived from the cluster name, so every node and every restart agrees on it
     * without storing it anywhere.
     */
    static RaftGroupId groupId(String clusterName, int index) {
        String seed = "dtm:" + clusterName + ":log-group-" + index;
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)));
    }

    static RaftPeer peer(NodeConfig node) {
        return RaftPeer.newBuilder()
                .setId(RaftPeerId.valueOf(node.id()))
                .setAddress(node.raftAddress())
                .build();
    }

    /**
     * Which group holds this tid or attempt id: stable across processes and versions of the JVM.
     * Every attempt of a tid ({@code tid#n}) lives in the tid's group, so that one group can answer
     * for all of them ({@link io.dtm.log.state.TxnLogState#queryLastAttempt}).
     */
    public int indexOf(String tid) {
        if (groups.size() == 1) {
            return 0;
        }
        String base = AttemptId.tidOf(tid);
        // String.hashCode is specified by the JLS, so every JVM computes the same value.
        return Math.floorMod(base.hashCode(), groups.size());
    }

    public RaftGroup groupOf(String tid) {
        return groups.get(indexOf(tid));
    }

    public RaftGroup group(int index) {
        return groups.get(index);
    }

    public List<RaftGroup> all() {
        return groups;
    }

    public int size() {
        return groups.size();
    }
}
