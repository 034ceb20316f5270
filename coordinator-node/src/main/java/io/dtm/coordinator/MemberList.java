package io.dtm.coordinator;

import io.dtm.protocol.rpc.ChangeMembersRequest;
import io.dtm.protocol.rpc.GroupMember;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** The members of a {@link ChangeMembersRequest}: what is wrong with them, or the Raft peers they name. */
final class MemberList {
    /** More members than any group needs (log.replication is at most the node count, itself small). */
    static final int MAX_MEMBERS = 16;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9_.:\\[\\]-]{1,255}:\\d{1,5}");

    private MemberList() {
    }

    /** Why the request cannot be a group's members, or empty. */
    static Optional<String> problem(ChangeMembersRequest change, int groups) {
        if (change.getGroup() < 0 || change.getGroup() >= groups) {
            return Optional.of("log group " + change.getGroup() + " does not exist (the cluster has groups 0 to "
                    + (groups - 1) + ")");
        }
        if (change.getMembersCount() == 0 || change.getMembersCount() > MAX_MEMBERS) {
            return Optional.of("a log group needs 1 to " + MAX_MEMBERS + " members, not " + change.getMembersCount());
        }
        Set<String> seen = new HashSet<>();
        for (GroupMember m : change.getMembersList()) {
            if (!ID.matcher(m.getNodeId()).matches()) {
                return Optional.of("member id \"" + m.getNodeId() + "\" is not a node id (letters, digits, . _ -)");
            }
            if (!ADDRESS.matcher(m.getRaftAddress()).matches()) {
                return Optional.of("member " + m.getNodeId() + " has no Raft address host:port (\"" + m.getRaftAddress()
                        + "\")");
            }
            if (!seen.add(m.getNodeId())) {
                return Optional.of("member " + m.getNodeId() + " is named twice");
            }
        }
        return Optional.empty();
    }

    /** The members as Raft peers, in the request's order (the first is the preferred leader). */
    static List<RaftPeer> peers(ChangeMembersRequest change) {
        return change.getMembersList().stream().map(m -> RaftPeer.newBuilder().setId(RaftPeerId.valueOf(m.getNodeId()))
                .setAddress(m.getRaftAddress()).build()).toList();
    }
}
