package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line's own behaviour, in-process: parsing, help, and errors that say what to do. */
class CommandLineTest {
    @TempDir
    Path tmp;

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String[] command : new String[][] {{"demo"}, {"node"}, {"participant"}, {"status"}, {"inspect"}, {"faults"},
                {"bench"}, {"submit"}, {"cluster", "start"},
                {"cluster", "stop"}, {"cluster", "status"}, {"certs", "create"}, {"certs", "show"}, {"certs", "rotate"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(command), java.util.stream.Stream.of("--help"))
                    .toArray(String[]::new);
            CliRun r = run(args);
            assertThat(r.exitCode()).as(String.join(" ", command)).isZero();
            assertThat(r.out()).as(String.join(" ", command)).contains("Usage: dtm " + String.join(" ", command))
                    .contains("Examples:");
        }
    }

    @Test
    void nodesAndServicesBuildOnlyTheirOwnCommandAndAnswerAsTheWholeCommandLineDoes() {
        for (String[] args : new String[][] {{"node", "--help"}, {"participant", "--help"}, {"node", "--bogus"},
                {"participant", "--service", "nowhere"}}) {
            CommandLine own = Dtm.commandLineFor(args);
            assertThat(own.getSubcommands().keySet()).as("a process builds no other command")
                    .containsExactlyInAnyOrder("node", "participant");
            assertThat(execute(own, args)).as(String.join(" ", args)).isEqualTo(execute(Dtm.commandLine(), args));
        }
        assertThat(Dtm.commandLineFor("status", "t-1").getSubcommands()).containsKeys("bench", "cluster", "submit");
    }

    private static String execute(CommandLine cli, String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setOut(new java.io.PrintWriter(out, true)).setErr(new java.io.PrintWriter(err, true));
        int code = cli.execute(args);
        return code + "\n" + out + "\n" + err;
    }

    @Test
    void faultsOffersOnlyCrashPointsAUserCanNameAndRefusesOthers() {
        assertThat(run("faults", "--help").out()).contains("AFTER_VOTE_PERSISTED").doesNotContain("UNRECOGNIZED");
        CliRun r = run("faults", "payment", "--crash-at", "UNRECOGNIZED");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("expected one of NEVER, AFTER_VOTE_PERSISTED");
    }

    @Test
    void jepsenIsListedAndPointsToTheLauncherWhichRunsTheHarness() {
        assertThat(run("--help").out())
                .contains("jepsen       Run a Jepsen-style test: faults against the real cluster, then a check of the history.");
        CliRun r = run("jepsen", "--nemesis", "kill-leader");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("./dtm jepsen --nemesis kill-leader");
    }

    @Test
    void anInvalidTidIsRefusedBeforeAnythingIsAsked() {
        CliRun r = run("status", "not a tid");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("outside [A-Za-z0-9._:-]");
    }

    @Test
    void statusOfATidWhenNoClusterRunsSaysHowToStartOne() throws Exception {
        Path config = tmp.resolve("c.yaml");
        Files.writeString(config, ClusterConfig.loadDefault().withPorts(FreePorts::next).toYaml());
        CliRun r = run("status", "t-1", "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("no coordinator could answer").contains("./dtm cluster start");
    }

    @Test
    void submitWhenNoClusterRunsExitsThreeAndSaysHowToStartOne() throws Exception {
        Path config = tmp.resolve("c.yaml");
        Files.writeString(config, ClusterConfig.loadDefault().withPorts(FreePorts::next).toYaml());
        Path orders = tmp.resolve("orders.jsonl");
        Files.writeString(orders, "{\"tid\":\"t-1\",\"services\":{}}\n");
        CliRun r = run("submit", orders.toString(), "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.err()).contains("no coordinator reachable at 127.0.0.1:")
                .contains("try ./dtm cluster start --config " + config);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void submitOfAFileThatIsNotThereSaysSo() throws Exception {
        Path config = tmp.resolve("c.yaml");
        Files.writeString(config, ClusterConfig.loadDefault().withPorts(FreePorts::next).toYaml());
        CliRun r = run("submit", tmp.resolve("nope.jsonl").toString(), "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("no such file").contains("nope.jsonl");
    }

    @Test
    void submitOfAUtf16FileIsRefusedWholeWithTheWayToConvertIt() throws Exception {
        Path config = tmp.resolve("c16.yaml");
        Files.writeString(config, ClusterConfig.loadDefault().withPorts(FreePorts::next).toYaml());
        Path orders = tmp.resolve("orders-utf16.jsonl");
        // What Windows PowerShell's Out-File writes: UTF-16 little-endian, with its byte order mark.
        Files.write(orders, "\uFEFF{\"tid\":\"t-1\"}\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_16LE));
        CliRun r = run("submit", orders.toString(), "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(orders + " is UTF-16").contains("iconv -f UTF-16 -t UTF-8");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void aBrokenConfigurationNamesTheKeyAndTheProblem() throws Exception {
        Path config = tmp.resolve("bad.yaml");
        Files.writeString(config, ClusterConfig.loadDefault().toYaml().replace("clientPort: 7101", "clientPort: seven"));
        CliRun r = run("cluster", "status", "--config", config.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("nodes[0].clientPort").contains("expected an integer");
    }

    @Test
    void aNodeIdThatIsNotConfiguredListsTheKnownOnes() {
        CliRun r = run("node", "--id", "n9");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("n9").contains("n1, n2, n3");
    }

    @Test
    void startRefusesADirectoryOfAnotherCluster() throws Exception {
        Path dir = tmp.resolve("cluster");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cluster.yaml"), ClusterConfig.loadDefault().withDataDir(dir.resolve("data")).toYaml());
        Path other = tmp.resolve("other.yaml");
        Files.writeString(other, ClusterConfig.loadDefault().withPorts(FreePorts::next).toYaml());
        CliRun r = run("cluster", "start", "--dir", dir.toString(), "--config", other.toString());
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).contains("already holds a cluster started with another configuration");
    }

    @Test
    void benchRefusesTwoLoadsAtOnce() {
        CliRun r = run("bench", "--log-only", "--participant", "inventory");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("choose one");
    }

    @Test
    void benchRefusesAClosedAndAnOpenLoopAtOnce() {
        CliRun r = run("bench", "--rate", "100", "--concurrency", "8");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--concurrency (closed loop) and --rate (open loop)").contains("choose one");
        assertThat(run("bench", "--rate", "-5").err()).contains("--rate must be between 0 and 1000000");
    }
}
