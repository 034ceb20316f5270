package io.dtm.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A program laid out as the build lays out dtm: target/dtm.jar whose manifest names lib/*.jar, and
 * target/aot/ with the training run's caches.
 */
class AotCachesTest {
    @TempDir
    Path target;
    Path jar;
    Path module;
    Path node;

    @BeforeEach
    void aTrainedBuild() throws IOException {
        Files.createDirectories(target.resolve("lib"));
        module = Files.writeString(target.resolve("lib/coordinator-node.jar"), "classes of the coordinator, v1");
        jar = target.resolve("dtm.jar");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, "lib/coordinator-node.jar lib/other.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            // a jar with nothing but its manifest
        }
        Files.writeString(target.resolve("lib/other.jar"), "a library");
        Path aot = Files.createDirectories(target.resolve("aot"));
        node = Files.createFile(aot.resolve("node.aot"));
        AotCaches.writeStamp(aot, jar);
    }

    @Test
    void aProcessGetsTheCacheOfItsKindOnJava25() {
        assertThat(AotCaches.find("node", 25, jar)).contains(node.toAbsolutePath());
        assertThat(AotCaches.find("payment", 25, jar)).as("no cache made for it").isEmpty();
        assertThat(AotCaches.find("node", 17, jar)).as("Java 17 knows no AOT cache").isEmpty();
        assertThat(AotCaches.staleness(jar)).isEmpty();
    }

    @Test
    void aModuleRebuiltSinceTheTrainingRunMakesTheCachesStale() throws IOException {
        // Same size, other bytes: the JVM would serve v1's classes from the cache.
        Files.writeString(module, "classes of the coordinator, v2");

        assertThat(AotCaches.find("node", 25, jar)).isEmpty();
        assertThat(AotCaches.staleness(jar)).hasValueSatisfying(why ->
                assertThat(why).contains("made from another build of dtm").contains(target.resolve("aot").toString()));
    }

    @Test
    void aJarAddedToOrMissingFromTheProgramMakesTheCachesStale() throws IOException {
        Files.delete(target.resolve("lib/other.jar"));

        assertThat(AotCaches.find("node", 25, jar)).isEmpty();
    }

    @Test
    void cachesThatDoNotSayWhichBuildMadeThemAreNotUsed() throws IOException {
        Files.delete(target.resolve("aot").resolve(AotCaches.STAMP));

        assertThat(AotCaches.find("node", 25, jar)).isEmpty();
        assertThat(AotCaches.staleness(jar)).hasValueSatisfying(why -> assertThat(why).contains("do not say which build"));
    }

    @Test
    void withoutCachesNothingIsStale() throws IOException {
        Files.delete(node);

        assertThat(AotCaches.staleness(jar)).isEmpty();
        assertThat(AotCaches.find("node", 25, jar)).isEmpty();
    }
}
