package io.dtm.rpc;

import io.dtm.config.NodeConfig;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A client learns a node added after it started from a NOT_LEADER naming it, within a bound. */
class KnownNodesTest {
    private static final List<NodeConfig> THREE = List.of(new NodeConfig("n1", "127.0.0.1", 7101, 7201, 7301),
            new NodeConfig("n2", "127.0.0.1", 7102, 7202, 7302), new NodeConfig("n3", "127.0.0.1", 7103, 7203, 7303));

    @Test
    void aKnownNodeKeepsItsIndexAndANewOneIsLearnedAtItsClientAddress() {
        KnownNodes nodes = new KnownNodes(THREE);
        assertThat(nodes.indexOrLearn("n2", "10.0.0.9:9999")).isEqualTo(1);
        assertThat(nodes.get(1).clientAddress()).as("a known node's address is not replaced").isEqualTo("127.0.0.1:7102");
        assertThat(nodes.indexOrLearn("n4", "127.0.0.1:7104")).isEqualTo(3);
        assertThat(nodes.get(3).clientAddress()).isEqualTo("127.0.0.1:7104");
        assertThat(nodes.indexOrLearn("n4", "127.0.0.1:7104")).isEqualTo(3);
        assertThat(nodes.size()).isEqualTo(4);
    }

    @Test
    void anUnusableAddressTeachesNothing() {
        KnownNodes nodes = new KnownNodes(THREE);
        for (String bad : List.of("", "127.0.0.1", "127.0.0.1:", ":7104", "127.0.0.1:0", "127.0.0.1:70000", "host:port")) {
            assertThat(nodes.indexOrLearn("n4", bad)).as(bad).isEqualTo(-1);
        }
        assertThat(nodes.indexOrLearn("", "127.0.0.1:7104")).isEqualTo(-1);
        assertThat(nodes.size()).isEqualTo(3);
    }

    @Test
    void aMisleadingLeaderCannotGrowTheListForEver() {
        KnownNodes nodes = new KnownNodes(THREE);
        for (int i = 0; i < 100; i++) {
            nodes.indexOrLearn("x" + i, "127.0.0.1:" + (8000 + i));
        }
        assertThat(nodes.size()).isEqualTo(3 + KnownNodes.MAX_LEARNED).isEqualTo(nodes.capacity());
    }
}
