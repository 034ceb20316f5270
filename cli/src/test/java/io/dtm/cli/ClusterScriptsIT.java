package io.dtm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.dtm.cli.cluster.ClusterDir;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The operator scripts against real processes: start a three-node cluster, SIGKILL the leader by
 * its pid file, watch a new leader appear in the status, bring the node back, and stop everything.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterScriptsIT {
    private static final Path ROOT = Path.of(System.getProperty("dtm.repo.root", "..")).toAbsolutePath().normalize();
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path tmp;

    private Path clusterDir;
    private Path configFile;

    @BeforeEach
    void writeConfigWithFreePorts() throws IOException {
        clusterDir = tmp.resolve("cluster");
        configFile = tmp.resolve("cluster-config.yaml");
        Files.writeString(configFile, ClusterConfig.loadDefault().withPorts(FreePorts::next).toYaml());
    }

    @AfterEach
    void killLeftovers() {
        // Whatever the test did, leave no process behind.
        for (String node : List.of("n1", "n2", "n3")) {
            new ClusterDir(clusterDir).running(node).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void killingTheLeaderByItsPidFileElectsANewOneAndStopLeavesNothingBehind() throws Exception {
        Run start = script("start-cluster.sh", "--dir", clusterDir.toString(), "--config", configFile.toString());
        assertThat(start.exitCode).as(start.output).isZero();
        assertThat(start.output).contains("cluster is up: leader");

        String leader = status().get("leader").asText();
        List<Long> pids = new ArrayList<>();
        for (String node : List.of("n1", "n2", "n3")) {
            pids.add(Long.parseLong(Files.readString(clusterDir.resolve(node + ".pid")).trim()));
        }
        long leaderPid = Long.parseLong(Files.readString(clusterDir.resolve(leader + ".pid")).trim());
        ProcessHandle leaderProcess = ProcessHandle.of(leaderPid).orElseThrow();
        assertThat(leaderProcess.info().command().orElse("")).as("the pid file names the java process").endsWith("java");

        leaderProcess.destroyForcibly(); // SIGKILL
        leaderProcess.onExit().get(30, TimeUnit.SECONDS);

        JsonNode after = await("a new leader").atMost(WAIT).pollInterval(Duration.ofMillis(500))
                .until(this::status, s -> !s.get("leader").isNull() && !s.get("leader").asText().equals(leader));
        assertThat(node(after, leader).get("reachable").asBoolean()).isFalse();

        Run restart = script("start-cluster.sh", "--dir", clusterDir.toString());
        assertThat(restart.exitCode).as(restart.output).isZero();
        assertThat(restart.output).contains(leader + " started").contains("already running");
        JsonNode healed = status();
        for (JsonNode n : healed.get("nodes")) {
            assertThat(n.get("reachable").asBoolean()).as(n.toString()).isTrue();
        }
        pids.set(List.of("n1", "n2", "n3").indexOf(leader),
                Long.parseLong(Files.readString(clusterDir.resolve(leader + ".pid")).trim()));

        Run stop = script("stop-cluster.sh", "--dir", clusterDir.toString());
        assertThat(stop.exitCode).as(stop.output).isZero();
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d", pid).isFalse();
        }
        try (var pidFiles = Files.newDirectoryStream(clusterDir, "*.pid")) {
            assertThat(pidFiles).isEmpty();
        }
    }

    @Test
    void statusOfAClusterThatIsNotRunningSaysWhatToDo() throws Exception {
        Run status = script("status.sh", "--config", configFile.toString(), "--dir", clusterDir.toString());
        assertThat(status.exitCode).isEqualTo(3);
        assertThat(status.output).contains("no coordinator reachable").contains("./dtm cluster start");
    }

    private JsonNode status() throws Exception {
        Run run = script("status.sh", "--dir", clusterDir.toString(), "--json");
        assertThat(run.exitCode).as(run.output).isIn(0, 1);
        return Json.MAPPER.readTree(run.stdout);
    }

    private static JsonNode node(JsonNode status, String id) {
        for (JsonNode n : status.get("nodes")) {
            if (n.get("id").asText().equals(id)) {
                return n;
            }
        }
        throw new AssertionError("no node " + id + " in " + status);
    }

    private record Run(int exitCode, String stdout, String output) {
    }

    private Run script(String name, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("cluster-config/bin").resolve(name).toString());
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile(tmp, "out", ".txt");
        Path stderr = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        builder.environment().put("DTM_SKIP_BUILD", "1");
        Process p = builder.start();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(name + " did not finish in 3 minutes");
        }
        String out = Files.readString(stdout, StandardCharsets.UTF_8);
        return new Run(p.exitValue(), out, out + Files.readString(stderr, StandardCharsets.UTF_8));
    }
}
