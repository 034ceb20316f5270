package io.dtm.jepsen.env;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Start, pause, resume, kill and restart real processes (a shell loop that counts into its log). */
class ProcessesTest {
    @TempDir
    Path dir;

    private static String ticks(Path log) throws Exception {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The process state letter of /proc/PID/stat ('T' when stopped). */
    private static char state(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    @Test
    void aPausedProcessStopsWorkingUntilResumedAndAKilledOneRestartsAppendingToItsLog() throws Exception {
        try (Processes p = new Processes(dir.resolve("logs"), dir.resolve("pids"), (name, cmd) -> cmd)) {
            p.define("ticker", List.of("bash", "-c", "while true; do echo tick; sleep 0.05; done"));
            p.start("ticker");
            Path log = dir.resolve("logs/ticker.log");
            await().atMost(Duration.ofSeconds(10)).until(() -> ticks(log).contains("tick"));

            p.pause("ticker");
            long pid = p.pid("ticker").orElseThrow();
            await("stopped").atMost(Duration.ofSeconds(10)).until(() -> state(pid) == 'T');
            String frozen = ticks(log);
            assertThat(p.isPaused("ticker")).isTrue();
            await("nothing more written while stopped").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
                    .until(() -> ticks(log).equals(frozen));

            p.resume("ticker");
            await().atMost(Duration.ofSeconds(10)).until(() -> ticks(log).length() > frozen.length());

            long first = p.pid("ticker").orElseThrow();
            p.kill("ticker");
            assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(p.isRunning("ticker")).isFalse();
            int before = ticks(log).length();
            p.start("ticker");
            await().atMost(Duration.ofSeconds(10)).until(() -> ticks(log).length() > before);
            assertThat(p.pid("ticker").orElseThrow()).isNotEqualTo(first);
        }
    }

    @Test
    void closingKillsEvenAPausedProcess() {
        Processes p = new Processes(dir.resolve("logs"), dir.resolve("pids"), (name, cmd) -> cmd);
        p.define("sleeper", List.of("sleep", "600"));
        p.start("sleeper");
        long pid = p.pid("sleeper").orElseThrow();
        p.pause("sleeper");
        p.close();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    }
}
