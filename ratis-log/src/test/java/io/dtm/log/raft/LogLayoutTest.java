package io.dtm.log.raft;

import io.dtm.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogLayoutTest {
    private final ClusterConfig three = ClusterConfig.loadDefault().withLogGroups(3, 0);

    @Test
    void newStorageGetsTheConfiguredLayoutAndKeepsAcceptingIt(@TempDir Path dir) throws Exception {
        Path storage = dir.resolve("n1");
        LogLayout.checkOrCreate(three, "n1", storage);

        assertThat(Files.readString(storage.resolve(LogLayout.FILE))).isEqualTo("groups=3 replication=3\n");
        LogLayout.checkOrCreate(three, "n1", storage); // a restart with the same configuration
    }

    @Test
    void anotherGroupCountIsRefusedSayingWhatTheDataHas(@TempDir Path dir) throws Exception {
        LogLayout.checkOrCreate(three, "n1", dir);

        assertThatThrownBy(() -> LogLayout.checkOrCreate(three.withLogGroups(1, 0), "n1", dir))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("[n1] this node's log was created with 3 log group(s) of 3 node(s) each")
                .hasMessageContaining("says 1 log group(s) of 3 node(s) each")
                .hasMessageContaining("start it with log.groups: 3");
        assertThat(Files.readString(dir.resolve(LogLayout.FILE))).as("left as it was").isEqualTo("groups=3 replication=3\n");
    }

    @Test
    void anotherReplicationIsTakenForTheNodeListMayHaveChanged(@TempDir Path dir) throws Exception {
        LogLayout.checkOrCreate(three, "n1", dir);
        // dtm cluster remove-node left two nodes: groups of two, as the shorter list places them.
        LogLayout.checkOrCreate(three.withLogGroups(3, 2), "n1", dir);
        assertThat(Files.readString(dir.resolve(LogLayout.FILE))).as("as created").isEqualTo("groups=3 replication=3\n");
    }

    @Test
    void dataOfABuildBeforeLayoutsIsOneGroupOfEveryNode(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("02511d6c-3d65-3a4b-9bc3-3ad775661883"));

        assertThatThrownBy(() -> LogLayout.checkOrCreate(three, "n1", dir))
                .hasMessageContaining("created with 1 log group(s) of 3 node(s) each");
        LogLayout.checkOrCreate(ClusterConfig.loadDefault().withLogGroups(1, 0), "n1", dir);
        assertThat(Files.readString(dir.resolve(LogLayout.FILE))).isEqualTo("groups=1 replication=3\n");
    }

    @Test
    void aDamagedFileIsRefusedNotGuessed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve(LogLayout.FILE), "groups=three\n");

        assertThatThrownBy(() -> LogLayout.checkOrCreate(three, "n1", dir))
                .hasMessageContaining("is damaged: expected \"groups=N replication=R\", found \"groups=three\"");
    }
}
