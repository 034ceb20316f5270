package io.dtm.jepsen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code dtm jepsen}'s own command line, in-process: help, and the exit code when the harness cannot run. */
class JepsenCommandTest {
    @TempDir
    Path tmp;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = JepsenCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpHasTheUsageOfDtmJepsenWithExamples() {
        Run r = run("--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("Usage: dtm jepsen").contains("Examples:");
    }

    @Test
    void aJepsenRunThatCannotStartExitsThreeNotOneWhichWouldReadAsInvalid() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("store"), "a file");
        System.setProperty(JepsenCommand.DTM_JAR_PROPERTY, tmp.resolve("dtm.jar").toString());
        try {
            Run r = run("--nemesis", "kill-leader", "--time-limit", "1", "--store", notADirectory.toString());
            assertThat(r.exitCode()).isEqualTo(JepsenCommand.HARNESS_FAILED);
            assertThat(r.err()).contains("the harness could not run the test").contains("Not a directory");
        } finally {
            System.clearProperty(JepsenCommand.DTM_JAR_PROPERTY);
        }
    }
}
