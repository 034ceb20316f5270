package io.dtm.cli.command;

import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.rpc.ClusterView;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `dtm cluster status` names every replica that applied log entries out of order, and is silent otherwise. */
class ClusterStatusInvariantTest {
    @Test
    void aReplicaThatAppliedOutOfOrderIsNamedWithItsGroup() {
        ClusterView view = new ClusterView(List.of(
                node("n1", group(0, 0), group(1, 2)),
                node("n2", group(0, 0), group(1, 0)),
                new ClusterView.NodeView("n3", "127.0.0.1:7103", null, "connection refused")), List.of(), 2);

        assertThat(ClusterCommand.Status.outOfOrderApplies(view)).containsExactly(
                "INVARIANT VIOLATED: n1 applied 2 entries of log group 1 out of log order; its copy of the group's"
                        + " transactions may differ from its peers' (see its log)");
    }

    @Test
    void nothingIsSaidWhenEveryReplicaAppliedInOrder() {
        ClusterView view = new ClusterView(List.of(node("n1", group(0, 0)), node("n2", group(0, 0))), List.of(), 1);

        assertThat(ClusterCommand.Status.outOfOrderApplies(view)).isEmpty();
    }

    private static ClusterView.NodeView node(String id, GroupStatus... groups) {
        return new ClusterView.NodeView(id, "127.0.0.1:7101",
                NodeStatus.newBuilder().setNodeId(id).addAllGroups(List.of(groups)).build(), null);
    }

    private static GroupStatus group(int group, long outOfOrder) {
        return GroupStatus.newBuilder().setGroup(group).setOutOfOrderApplies(outOfOrder).build();
    }
}
