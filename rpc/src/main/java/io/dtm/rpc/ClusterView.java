package io.dtm.rpc;

import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.rpc.InvariantViolation;
import io.dtm.protocol.rpc.NodeStatus;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What every node and participant service of a cluster said about itself at one moment, or why it
 * could not be asked.
 *
 * @param nodes    one entry per configured node, in configuration order
 * @param services one entry per participant service, in {@link io.dtm.config.ServiceName} order
 */
public record ClusterView(List<NodeView> nodes, List<ServiceView> services) {

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

    /** The leader as the reachable nodes report it: the leader itself, in the highest term. */
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
