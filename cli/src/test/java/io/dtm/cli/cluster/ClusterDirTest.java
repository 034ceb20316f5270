package io.dtm.cli.cluster;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
    void stoppingSeveralSendsEveryoneItsSigtermBeforeWaitingForAny() throws Exception {
        ClusterDir dir = new ClusterDir(root);
        // Each exits cleanly on SIGTERM only once the other has had its SIGTERM too: stopped one
        // after the other, the first would wait out the grace and be killed without its clean mark.
        Process a = waitsForTheOther(dir, "a", "b");
        Process b = waitsForTheOther(dir, "b", "a");
        try {
            dir.writePid("a", a.pid());
            dir.writePid("b", b.pid());
            await().atMost(Duration.ofSeconds(10)).until(() -> dir.running("a").isPresent() && dir.running("b").isPresent());

            Set<String> stopped = dir.stop(List.of("a", "b", "c"), Duration.ofSeconds(20));

            assertThat(stopped).containsExactly("a", "b");
            assertThat(root.resolve("a.clean")).as("a exited on its own").exists();
            assertThat(root.resolve("b.clean")).as("b exited on its own").exists();
            assertThat(dir.processesWithPidFiles()).isEmpty();
        } finally {
            a.destroyForcibly();
            b.destroyForcibly();
        }
    }

    /** A process that {@code running(name)} vouches for, and that waits for {@code other}'s SIGTERM on its own. */
    private Process waitsForTheOther(ClusterDir dir, String name, String other) throws Exception {
        String script = "trap 'touch \"$0.term\"; while [ ! -e \"$1.term\" ]; do sleep 0.05; done; touch \"$0.clean\"; exit 0' TERM;"
                + " while :; do sleep 0.05; done";
        return new ProcessBuilder("sh", "-c", script, root.resolve(name).toString(), root.resolve(other).toString(),
                ProcessLauncher.PROCESS_PROPERTY + "=" + name, ProcessLauncher.DIR_PROPERTY + "=" + dir.root(), "end")
                .start();
    }

    @Test
    void noPidFileIsNeitherAliveNorRunning() {
        ClusterDir dir = new ClusterDir(root);

        assertThat(dir.alive("n2")).isFalse();
        assertThat(dir.running("n2")).isEmpty();
    }
}
