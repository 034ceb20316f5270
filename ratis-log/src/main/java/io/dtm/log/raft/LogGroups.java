package io.dtm.log.raft;

import io.dtm.protocol.LogGroupOfTid;
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
 * group ({@link LogGroupOfTid}).
 *
 * <p>The log is split into {@code log.groups} groups, each on {@link ClusterConfig#replication()}
 * nodes placed round-robin ({@link ClusterConfig#groupMembers}). Each group's first member is its
 * preferred leader: it has the higher Raft priority, so Ratis elects it when it can and hands
 * leadership back to it once it has caught up after a restart. Leaders thus spread over every node,
 * each node coordinating the transactions of the groups it leads.
 */
public final class LogGroups {
    /** Raft priority of a group's preferred leader; the other members have Ratis's default, 0. */
    public static final int PREFERRED_PRIORITY = 1;

    private final List<RaftGroup> groups;

    private LogGroups(List<RaftGroup> groups) {
        this.groups = List.copyOf(groups);
    }

    public static LogGroups of(ClusterConfig config) {
        List<RaftGroup> groups = new ArrayList<>();
        for (int i = 0; i < config.log().groups(); i++) {
            List<String> members = config.groupMembers(i);
            List<RaftPeer> peers = new ArrayList<>();
            for (String member : members) {
                peers.add(peer(config.node(member), member.equals(members.get(0)) ? PREFERRED_PRIORITY : 0));
            }
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

    public static RaftPeer peer(NodeConfig node, int priority) {
        return RaftPeer.newBuilder()
                .setId(RaftPeerId.valueOf(node.id()))
                .setAddress(node.raftAddress())
                .setPriority(priority)
                .build();
    }

    /** Which group holds this tid or attempt id ({@link LogGroupOfTid}). */
    public int indexOf(String tid) {
        return LogGroupOfTid.indexOf(tid, groups.size());
    }

    public RaftGroup groupOf(String tid) {
        return groups.get(indexOf(tid));
    }

    public RaftGroup group(int index) {
        return groups.get(index);
    }

    /** The index of the group with this id, or -1 when the cluster has no such group. */
    public int indexOf(RaftGroupId id) {
        for (int i = 0; i < groups.size(); i++) {
            if (groups.get(i).getGroupId().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    public List<RaftGroup> all() {
        return groups;
    }

    public int size() {
        return groups.size();
    }
}
