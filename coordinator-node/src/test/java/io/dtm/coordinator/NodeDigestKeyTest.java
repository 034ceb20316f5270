package io.dtm.coordinator;

import io.dtm.log.TxnLogServer;
import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A node without the cluster's request digest key refuses to start, before it opens a port or a log. */
class NodeDigestKeyTest {

    @Test
    void aNodeWithoutTheDigestKeyRefusesToStartAndLeavesNothingBehind(@TempDir Path dir) throws IOException {
        ClusterConfig config = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir.resolve("data"))
                .withTlsDir(dir.resolve("tls"));
        NodeConfig n1 = config.nodes().get(0);

        assertThatThrownBy(() -> CoordinatorNode.start(config, n1.id(), TxnLogServer.Start.NEW_CLUSTER))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(dir.resolve("tls").resolve("digest.key").toString())
                .hasMessageContaining("missing");

        assertThat(Files.exists(config.nodeDataDir(n1.id()))).isFalse();
        for (int port : new int[] {n1.clientPort(), n1.raftPort(), n1.adminPort()}) {
            try (ServerSocket free = new ServerSocket()) {
                free.bind(new InetSocketAddress(n1.host(), port)); // throws if the node had bound it
            }
        }
    }
}
