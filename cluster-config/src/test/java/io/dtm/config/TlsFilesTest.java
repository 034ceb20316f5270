package io.dtm.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsFilesTest {
    @TempDir
    Path dir;

    @Test
    void namesEveryUnreadableFileAndWhatToDo() throws Exception {
        ClusterConfig config = ClusterConfig.loadDefault().withDataDir(dir.resolve("data")).withTlsDir(dir.resolve("tls"));
        Files.createDirectories(dir.resolve("tls"));
        Files.writeString(dir.resolve("tls/ca.pem"), "x");
        Files.writeString(dir.resolve("tls/n1.pem"), "x");

        assertThatThrownBy(() -> config.tlsFiles("n1", "the Raft transport")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("n1 cannot read " + dir.resolve("tls/n1.key") + " for the Raft transport")
                .hasMessageNotContaining("n1.pem,").hasMessageContaining("dtm certs create");

        Files.writeString(dir.resolve("tls/n1.key"), "x");
        assertThat(config.tlsFiles("n1", "the Raft transport").all())
                .containsExactly(dir.resolve("tls/ca.pem"), dir.resolve("tls/n1.pem"), dir.resolve("tls/n1.key"));
    }
}
