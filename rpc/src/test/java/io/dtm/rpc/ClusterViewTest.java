package io.dtm.rpc;

import io.dtm.protocol.rpc.GroupStatus;
import io.dtm.protocol.rpc.NodeStatus;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading each log group's leader out of what the nodes say, stale leaders and unreachable nodes included. */
class ClusterViewTest {

    private static GroupStatus group(int g, String role, long term, boolean ready) {
        return GroupStatus.newBuilder().setGroup(g).setRole(role).setTerm(term).setLeaderReady(ready).build();
    }

    private static ClusterView.NodeView node(String id, GroupStatus... groups) {
        return new ClusterView.NodeView(id, id + ":1", NodeStatus.newBuilder().setNodeId(id)
                .addAllGroups(List.of(groups)).build(), null);
    }

    private static ClusterView.NodeView unreachable(String id) {
        return new ClusterView.NodeView(id, id + ":1", null, "connection refused");
    }

    @Test
    void eachGroupsLeaderIsTheOneInTheHighestTerm() {
        // n1 still believes it leads g0 in term 3; n2 leads it in term 4.
        ClusterView view = new ClusterView(List.of(
                node("n1", group(0, "LEADER", 3, true), group(1, "FOLLOWER", 2, false)),
                node("n2", group(0, "LEADER", 4, true), group(1, "LEADER", 2, true)),
                node("n3", group(0, "FOLLOWER", 4, false), group(1, "FOLLOWER", 2, false))), List.of(), 2);

        assertThat(view.leaderOf(0)).map(ClusterView.GroupLeader::nodeId).hasValue("n2");
        assertThat(view.leaderOf(1)).map(ClusterView.GroupLeader::nodeId).hasValue("n2");
        assertThat(view.everyGroupLed()).isTrue();
        assertThat(view.groupsLedBy()).isEqualTo(Map.of("n2", List.of(0, 1)));
        assertThat(view.busiestLeader()).hasValue("n2");
    }

    @Test
    void aGroupWithoutAReadyLeaderIsNotLed() {
        ClusterView view = new ClusterView(List.of(
                node("n1", group(0, "LEADER", 2, true), group(1, "FOLLOWER", 5, false)),
                node("n2", group(0, "FOLLOWER", 2, false), group(1, "LEADER", 5, false)),
                unreachable("n3")), List.of(), 3);

        assertThat(view.everyGroupLed()).as("g1's leader has not taken over, g2 has none").isFalse();
        assertThat(view.leaderOf(2)).isEmpty();
        assertThat(view.groupsLedBy()).isEqualTo(Map.of("n1", List.of(0), "n2", List.of(1)));
        assertThat(view.busiestLeader()).as("a tie goes to the first node").hasValue("n1");
    }
}
