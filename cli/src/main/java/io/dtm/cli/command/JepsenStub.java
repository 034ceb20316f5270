package io.dtm.cli.command;

import io.dtm.cli.UserException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * Lists {@code jepsen} among dtm's commands. The harness is its own program
 * (tests-linearizability/target/dtm-jepsen.jar, io.dtm.jepsen.JepsenCommand), so that this command line
 * does not carry it: the {@code ./dtm} launcher runs that jar for {@code dtm jepsen} and {@code dtm help
 * jepsen}, and this class is reached only when dtm.jar is run directly.
 */
@Command(name = "jepsen",
        description = {"Run a Jepsen-style test: faults against the real cluster, then a check of the history.",
            "The harness is its own program: run it through the launcher, ./dtm jepsen --help."})
public final class JepsenStub implements Callable<Integer> {
    @Unmatched
    List<String> args;

    @Override
    public Integer call() {
        String command = ("./dtm jepsen " + String.join(" ", args == null ? List.of() : args)).strip();
        throw new UserException("jepsen runs through the launcher: " + command
                + " (the harness is tests-linearizability/target/dtm-jepsen.jar)", 2);
    }
}
