package io.dtm.jepsen.run;

import io.dtm.launch.AotCaches;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness's processes run with the build's AOT caches, as {@code dtm cluster start}'s do: a
 * node with the nodes' cache, a service with its own, and none when the caches are not this build's.
 */
class TestClusterAotTest {
    @TempDir
    Path target;
    Path jar;
    Path aot;
    List<String> dtm;

    @BeforeEach
    void aTrainedBuild() throws IOException {
        jar = target.resolve("dtm.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream ignored = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            // the program: a jar with nothing but its manifest
        }
        aot = Files.createDirectories(AotCaches.dirOf(jar));
        Files.createFile(aot.resolve("node.aot"));
        Files.createFile(aot.resolve("payment.aot"));
        AotCaches.writeStamp(aot, jar);
        dtm = List.of("/usr/bin/java", "-Xmx256m", "-cp", jar.toString(), "io.dtm.cli.Dtm");
    }

    @Test
    void nodesAndServicesGetTheirOwnCache() {
        Optional<Path> program = TestCluster.aotProgram(dtm, 25);

        assertThat(TestCluster.withAotCache(dtm, program, AotCaches.NODE, 25)).containsExactly("/usr/bin/java",
                "-XX:AOTCache=" + target.resolve("aot/node.aot").toAbsolutePath(), "-Xmx256m", "-cp", jar.toString(),
                "io.dtm.cli.Dtm");
        assertThat(TestCluster.withAotCache(dtm, program, "payment", 25))
                .contains("-XX:AOTCache=" + target.resolve("aot/payment.aot").toAbsolutePath());
        assertThat(TestCluster.withAotCache(dtm, program, "order", 25)).as("no cache made for it").isEqualTo(dtm);
    }

    @Test
    void cachesOfAnotherBuildOrAnOlderJavaAreLeftOut() throws IOException {
        assertThat(TestCluster.aotProgram(dtm, 17)).as("Java 17 knows no AOT cache").isEmpty();

        // Caches made from another build (AotCachesTest: how a rebuilt module is told apart).
        Files.writeString(aot.resolve("program.crc32c"), "0badc0de\n");

        Optional<Path> program = TestCluster.aotProgram(dtm, 25);
        assertThat(program).isEmpty();
        assertThat(TestCluster.withAotCache(dtm, program, AotCaches.NODE, 25)).isEqualTo(dtm);
    }
}
