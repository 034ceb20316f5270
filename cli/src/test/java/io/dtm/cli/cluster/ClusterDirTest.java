package io.dtm.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which recorded process counts as there: {@code running} vouches for a process by its command line
 * (a pid may be reused by a stranger), {@code alive} only by its pid, for a process just started
 * whose command line may not be readable yet.
 */
class ClusterDirTest {
    @TempDir
    Path root;

    @Test
    void aLiveProcessThatIsNotOneOfOursIsAliveButNotRunning() throws Exception {
        ClusterDir dir = new ClusterDir(root);
        Process stranger = new ProcessBuilder("sleep", "30").start();
        try {
            dir.writePid("n1", stranger.pid());

            assertThat(dir.alive("n1")).isTrue();
            assertThat(dir.running("n1")).as("its command line does not name n1 of this directory").isEmpty();
        } finally {
            stranger.destroyForcibly();
            stranger.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(dir.alive("n1")).as("after it exited").isFalse();
    }

    @Test
    void noPidFileIsNeitherAliveNorRunning() {
        ClusterDir dir = new ClusterDir(root);

        assertThat(dir.alive("n2")).isFalse();
        assertThat(dir.running("n2")).isEmpty();
    }
}
