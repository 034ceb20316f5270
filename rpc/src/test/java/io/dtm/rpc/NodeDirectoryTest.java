package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** A running process learns a node added to its configuration file, reading the file at most once a second. */
class NodeDirectoryTest {
    @TempDir
    Path dir;

    @Test
    void aNodeAddedToTheFileIsFoundAfterARereadAtMostOnceASecond() throws Exception {
        Path file = dir.resolve("cluster.yaml");
        ClusterConfig three = ClusterConfig.loadDefault();
        Files.writeString(file, three.toYaml());
        AtomicLong nanos = new AtomicLong(0);
        NodeDirectory directory = new NodeDirectory(ClusterConfig.load(file), nanos::get);
        assertThat(directory.find("n1")).isPresent();
        assertThat(directory.find("n4")).as("not in the file yet").isEmpty();

        List<NodeConfig> four = new ArrayList<>(three.nodes());
        four.add(new NodeConfig("n4", "127.0.0.1", 7104, 7204, 7304));
        Files.writeString(file, three.withNodes(four).toYaml());
        nanos.addAndGet(500_000_000L);
        assertThat(directory.find("n4")).as("half a second after the last read: not read again").isEmpty();
        nanos.addAndGet(600_000_000L);
        assertThat(directory.find("n4")).map(NodeConfig::clientAddress).contains("127.0.0.1:7104");
        assertThat(directory.config().dataDir()).as("only the nodes are taken from the file").isEqualTo(three.dataDir());
    }

    @Test
    void aConfigurationNotFromAFileStaysAsItIs() {
        NodeDirectory directory = new NodeDirectory(ClusterConfig.loadDefault(), () -> Long.MAX_VALUE / 2);
        assertThat(directory.find("n9")).isEmpty();
        assertThat(directory.config().nodes()).hasSize(3);
    }
}
