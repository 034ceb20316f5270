package io.dtm.rpc;

import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.InvariantViolation;
import io.dtm.protocol.rpc.NodeStatus;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every node and participant service of a cluster said about itself at one moment, or why it
 * could not be asked.
 *
 * @param nodes    one entry per configured node, in configuration order
 * @param services one entry per participant service, in {@link io.dtm.config.ServiceName} order
 * @param groups   the cluster's log groups ({@code log.groups})
 */
public record ClusterView(List<NodeView> nodes, List<ServiceView> services, int groups) {

    /** A log group's leader, as the leader itself reports it. */
    public record GroupLeader(String nodeId, GroupStatus status) {
    }

    /**
     * One node's answer.
     *
     * @param status the node's own report; null when it was not reachable
     * @param error  why it was not reachable; null when it answered
     */
    public record NodeView(String id, String address, NodeStatus status, String error) {
        public boolean reachable() {
            return status != null;
        }
    }

    /**
     * One participant service's answer.
     *
     * @param inspect its state summary; null when it was not reachable
     * @param error   why it was not reachable; null when it answered
     */
    public record ServiceView(String name, String address, InspectReply inspect, String error) {
        public boolean reachable() {
            return inspect != null;
        }
    }

    /**
     * The leader of log group {@code group} as the reachable nodes report it: the node that says it
     * leads the group, in the highest term.
     */
    public Optional<GroupLeader> leaderOf(int group) {
        GroupLeader best = null;
        for (NodeView n : nodes) {
            if (!n.reachable()) {
                continue;
            }
            for (GroupStatus g : n.status().getGroupsList()) {
                if (g.getGroup() == group && g.getRole().equals("LEADER")
                        && (best == null || g.getTerm() > best.status().getTerm())) {
                    best = new GroupLeader(n.id(), g);
                }
            }
        }
        return Optional.ofNullable(best);
    }

    /** Whether every log group has a leader that has taken over (ready to coordinate). */
    public boolean everyGroupLed() {
        for (int g = 0; g < groups; g++) {
            if (!leaderOf(g).map(l -> l.status().getLeaderReady()).orElse(false)) {
                return false;
            }
        }
        return true;
    }

    /** The groups each node leads, by node id in configuration order (nodes leading none are left out). */
    public Map<String, List<Integer>> groupsLedBy() {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (NodeView n : nodes) {
            for (int g = 0; g < groups; g++) {
                int group = g;
                leaderOf(g).filter(l -> l.nodeId().equals(n.id()))
                        .ifPresent(l -> out.computeIfAbsent(n.id(), k -> new ArrayList<>()).add(group));
            }
        }
        return out;
    }

    /** The node that leads the most log groups (the first in configuration order on a tie), if any leads one. */
    public Optional<String> busiestLeader() {
        return groupsLedBy().entrySet().stream()
                .max(Comparator.comparingInt((Map.Entry<String, List<Integer>> e) -> e.getValue().size())
                        .thenComparing(e -> -nodeIndex(e.getKey())))
                .map(Map.Entry::getKey);
    }

    private int nodeIndex(String id) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(id)) {
                return i;
            }
        }
        return nodes.size();
    }

    /**
     * The leader as the reachable nodes report it in their first group (with one log group, the
     * cluster's leader): the leader itself, in the highest term.
     */
    public Optional<NodeStatus> leader() {
        return nodes.stream()
                .filter(NodeView::reachable)
                .map(NodeView::status)
                .filter(s -> s.getRole().equals("LEADER"))
                .max(Comparator.comparingLong(NodeStatus::getTerm));
    }

    /**
     * The invariant violations the coordinating leaders report (a participant contradicting the log),
     * once each: after a leader change the same one may be reported by the old and the new leader.
     */
    public List<InvariantViolation> violations() {
        java.util.Map<String, InvariantViolation> out = new java.util.LinkedHashMap<>();
        for (NodeView n : nodes) {
            if (n.reachable()) {
                for (InvariantViolation v : n.status().getViolationsList()) {
                    out.putIfAbsent(v.getAttemptId() + " " + v.getService(), v);
                }
            }
        }
        return List.copyOf(out.values());
    }

    public boolean anyReachable() {
        return nodes.stream().anyMatch(NodeView::reachable);
    }
}
