package io.dtm.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessLauncherTest {
    @TempDir
    Path target;

    @Test
    void aProcessGetsTheAotCacheBesideDtmJarForItsKindOnJava25() throws IOException {
        Path jar = Files.createFile(target.resolve("dtm.jar"));
        Files.createDirectories(target.resolve("aot"));
        Path node = Files.createFile(target.resolve("aot/node.aot"));

        assertThat(ProcessLauncher.aotCache("node", 25, jar)).contains(node.toAbsolutePath());
        assertThat(ProcessLauncher.aotCache("payment", 25, jar)).as("no cache made for it").isEmpty();
        assertThat(ProcessLauncher.aotCache("node", 17, jar)).as("Java 17 knows no AOT cache").isEmpty();
    }
}
