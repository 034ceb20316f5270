package io.dtm.config;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** log.groups and log.replication: parsing, their bounds, and where each group lives. */
class LogGroupsConfigTest {
    private static final String VALID = ValidConfig.YAML;

    private static ClusterConfig withLogKeys(String keys) {
        return ClusterConfig.parse(VALID.replace("log:\n", "log:\n" + keys), "test.yaml");
    }

    @Test
    void groupsAndReplicationAreRead() {
        ClusterConfig config = withLogKeys("  groups: 5\n  replication: 2\n");

        assertThat(config.log().groups()).isEqualTo(5);
        assertThat(config.replication()).isEqualTo(2);
    }

    @Test
    void theBundledConfigurationHasThreeGroupsEachPreferringADifferentNodeAsLeader() {
        ClusterConfig bundled = ClusterConfig.loadDefault();

        assertThat(bundled.log().groups()).isEqualTo(3);
        assertThat(java.util.stream.IntStream.range(0, 3).mapToObj(g -> bundled.groupMembers(g).get(0)))
                .containsExactlyInAnyOrder("n1", "n2", "n3");
    }

    @Test
    void leftOutReplicationIsThreeOrEveryNodeOfASmallerCluster() {
        ClusterConfig three = ClusterConfig.parse(VALID, "test.yaml");
        assertThat(three.log().groups()).isEqualTo(LogConfig.DEFAULT_GROUPS);
        assertThat(three.replication()).isEqualTo(3);

        ClusterConfig one = three.withNodes(List.of(three.nodes().get(0)));
        assertThat(one.replication()).isEqualTo(1);
        assertThat(one.groupMembers(0)).containsExactly(three.nodes().get(0).id());
    }

    @Test
    void outOfRangeValuesAreRefusedWithTheirKey() {
        assertThat(ValidConfig.problemsOf(VALID.replace("log:\n", "log:\n  groups: 0\n")).problems())
                .containsExactly("log.groups: must be between 1 and 64, got 0");
        assertThat(ValidConfig.problemsOf(VALID.replace("log:\n", "log:\n  groups: 65\n")).problems())
                .containsExactly("log.groups: must be between 1 and 64, got 65");
        assertThat(ValidConfig.problemsOf(VALID.replace("log:\n", "log:\n  replication: 4\n")).problems())
                .containsExactly("log.replication: 4 is more than the 3 node(s) of the cluster: a group cannot live on"
                        + " more nodes than there are");
        assertThat(ValidConfig.problemsOf(VALID.replace("log:\n", "log:\n  replication: 0\n")).problems())
                .containsExactly("log.replication: must be between 1 and the number of nodes, got 0");
    }

    @Test
    void groupsArePlacedRoundRobinWithTheirPreferredLeaderFirst() {
        ClusterConfig three = withLogKeys("  groups: 3\n");
        assertThat(three.groupMembers(0)).containsExactly("n1", "n2", "n3");
        assertThat(three.groupMembers(1)).containsExactly("n2", "n3", "n1");
        assertThat(three.groupMembers(2)).containsExactly("n3", "n1", "n2");
        assertThat(three.groupsOf("n2")).containsExactly(0, 1, 2);

        List<NodeConfig> five = new java.util.ArrayList<>(three.nodes());
        five.add(new NodeConfig("n4", "127.0.0.1", 7104, 7204, 7304));
        five.add(new NodeConfig("n5", "127.0.0.1", 7105, 7205, 7305));
        ClusterConfig spread = three.withNodes(five).withLogGroups(5, 3);
        assertThat(spread.groupMembers(3)).containsExactly("n4", "n5", "n1");
        assertThat(spread.groupMembers(4)).containsExactly("n5", "n1", "n2");
        for (NodeConfig node : five) {
            assertThat(spread.groupsOf(node.id())).as("groups on %s", node.id()).hasSize(3);
            assertThat(java.util.stream.IntStream.range(0, 5).filter(g -> spread.groupMembers(g).get(0).equals(node.id())))
                    .as("groups %s is preferred for", node.id()).hasSize(1);
        }
        assertThatThrownBy(() -> spread.groupMembers(5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("no log group 5; the cluster has 5");
    }

    @Test
    void theWrittenFileKeepsBothKeys() {
        ClusterConfig config = withLogKeys("  groups: 4\n  replication: 2\n");
        ClusterConfig reread = ClusterConfig.parse(ConfigWriter.toYaml(config), "written.yaml");

        assertThat(reread.log().groups()).isEqualTo(4);
        assertThat(reread.replication()).isEqualTo(2);
    }
}
