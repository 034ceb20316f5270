package io.dtm.jepsen;

import io.dtm.config.Durations;
import io.dtm.jepsen.check.CheckResult;
import io.dtm.jepsen.run.JepsenTest;
import io.dtm.jepsen.run.Nemesis;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

/**
 * {@code dtm jepsen}: the harness's own program (target/dtm-jepsen.jar), so that the {@code dtm} command line
 * does not carry the harness. The {@code ./dtm} launcher runs it for {@code dtm jepsen ...}, with
 * {@value #DTM_JAR_PROPERTY} naming the dtm.jar that the test's processes run.
 */
@Command(name = "dtm jepsen",
        description = {"Run a Jepsen-style test: faults against the real cluster, then a check of the history.",
            "The real cluster: 3 coordinator and 4 service processes, each in its own network namespace when run",
            "as root with iptables. Clients submit and read orders while faults come on a schedule (kill, pause,",
            "partition). After a final heal and a recovery period it checks the history: outcome register",
            "(linearizable per tid), answers (one per tid; a different request under a tid is only ever refused),",
            "retention (no tid forgotten while the log promises to keep it), atomicity, agreement of the replicas,",
            "client truth, conservation, resolution. Clients also resubmit earlier tids, with the same request and",
            "with a different one, at any time later.",
            "Writes results.json, history.jsonl, history.edn, the processes' logs, latency.png, rate.png,",
            "timeline.png and a self-contained report.html to STORE/<nemeses>/<timestamp>/ (and a 'latest' link).",
            "Exit code 0 when the result is valid, 1 invalid, 2 unknown (e.g. every partition skipped: no root),",
            "3 when the harness itself could not run (e.g. it could not set up the network)."},
        footer = {"", "Nemeses: all, " + "kill-leader, kill-coordinator, kill-participant-after-vote, kill-all-coordinators,",
            "  pause-leader, pause-participant, partition-isolate-leader, partition-halves, partition-majorities-ring,",
            "  partition-bridge, partition-coordinators-participants, partition-participant-leader, partition-one-way,",
            "  packet-loss, clock-skew (one coordinator restarted with its clock 3 h ahead),",
            "  clock-skew-apart (one 3 h ahead, another 3 h behind)",
            "", "Examples:",
            "  sudo ./dtm jepsen --nemesis kill-leader --time-limit 60",
            "  sudo ./dtm jepsen --nemesis partition-halves,pause-leader --time-limit 120 --rate 200 --concurrency 16",
            "  sudo ./dtm jepsen --nemesis all --time-limit 600 --store /var/tmp/dtm-store",
            "  sudo ./dtm jepsen --nemesis kill-leader --retention 50 --time-limit 60     resubmits meet forgotten tids",
            "  sudo ./dtm jepsen --nemesis clock-skew,clock-skew-apart --time-limit 60",
            "  sudo ./dtm jepsen --nemesis kill-leader --break commit-before-decision    must come out invalid"},
        mixinStandardHelpOptions = true)
public final class JepsenCommand implements Callable<Integer> {
    /** Exit code when the harness failed before a verdict: distinct from 1, so it never passes for "invalid". */
    static final int HARNESS_FAILED = 3;
    /** The system property naming the dtm.jar the test's processes run (the launcher sets it). */
    static final String DTM_JAR_PROPERTY = "dtm.jar";

    @Option(names = "--nemesis", paramLabel = "LIST", split = ",", required = true,
            description = "Faults to inject, comma-separated, or all.")
    List<String> nemeses;

    @Option(names = "--time-limit", paramLabel = "SECONDS", defaultValue = "60",
            description = "How long clients and faults run, before the final heal. Default: ${DEFAULT-VALUE}.")
    int timeLimit;

    @Option(names = "--rate", paramLabel = "R", defaultValue = "100",
            description = "Client operations a second, all clients together. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "10",
            description = "Client processes, each one operation at a time. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--store", paramLabel = "DIR", defaultValue = "store",
            description = "Where runs are written. Default: ${DEFAULT-VALUE}.")
    Path store;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class,
            description = "Quiet time before each fault. Default: ${DEFAULT-VALUE}.")
    Duration interval;

    @Option(names = "--fault-for", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "How long each fault lasts (a pause or partition longer than the election timeout). "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration faultFor;

    @Option(names = "--break", paramLabel = "BUG",
            description = "Test the test: run coordinators with a deliberate bug (commit-before-decision: COMMIT "
                    + "sent before the decision is logged); the result must come out invalid.")
    String breakage;

    @Option(names = "--retention", paramLabel = "N",
            description = "Retention pressure: the log keeps only N outcomes (log.retention.maxOutcomes; its other "
                    + "bounds stay the default), and unless --result-cache-size says otherwise the leader keeps no "
                    + "answers, so outcomes leave retention during the run and resubmissions meet forgotten tids.")
    Integer retention;

    @Option(names = "--result-cache-size", paramLabel = "N",
            description = "coordinator.resultCacheSize for the run. Default: 0 with --retention or a clock-skew "
                    + "nemesis (every resubmission answered from the log), else the configuration's.")
    Integer resultCacheSize;

    @Option(names = "--log-groups", paramLabel = "N",
            description = "log.groups for the run: the log split into N Raft groups, leaders spread over the nodes. "
                    + "Default: the bundled configuration's.")
    Integer logGroups;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the workload and the nemeses' choices. "
            + "Default: the time.")
    Long seed;

    @Spec
    CommandSpec spec;

    /** Problems printed per failing checker; results.json and report.html have the rest. */
    private static final int SHOWN_PROBLEMS = 5;

    @Override
    public Integer call() throws Exception {
        if (timeLimit < 1 || concurrency < 1 || !(rate > 0)) {
            throw new UserException("--time-limit, --concurrency and --rate must be positive", 2);
        }
        for (String n : nemeses) {
            if (!n.equals("all") && !Nemesis.catalog().containsKey(n)) {
                throw new UserException("unknown nemesis \"" + n + "\"; known: all, "
                        + String.join(", ", Nemesis.catalog().keySet()), 2);
            }
        }
        if (retention != null && retention < 1) {
            throw new UserException("--retention must be at least 1 outcome", 2);
        }
        if (logGroups != null && (logGroups < 1 || logGroups > 64)) {
            throw new UserException("--log-groups must be between 1 and 64", 2);
        }
        if (resultCacheSize != null && resultCacheSize < 0) {
            throw new UserException("--result-cache-size must be 0 or more", 2);
        }
        if (breakage != null && !breakage.equals("commit-before-decision")) {
            throw new UserException("unknown --break \"" + breakage + "\"; known: commit-before-decision", 2);
        }
        long chosenSeed = seed != null ? seed : System.currentTimeMillis();
        JepsenTest.Result result;
        try {
            result = JepsenTest.run(new JepsenTest.Options(nemeses, Duration.ofSeconds(timeLimit), rate, concurrency,
                    store.toAbsolutePath(), dtmCommand(), interval, faultFor, Duration.ofSeconds(60), chosenSeed,
                    breakage == null ? "" : breakage, retention == null ? OptionalInt.empty() : OptionalInt.of(retention),
                    resultCacheSize == null ? OptionalInt.empty() : OptionalInt.of(resultCacheSize),
                    logGroups == null ? OptionalInt.empty() : OptionalInt.of(logGroups)));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // Not a verdict: the test never ran to its end. Exit 1 would read as "invalid".
            throw new UserException("the harness could not run the test: " + e, HARNESS_FAILED);
        }
        var out = spec.commandLine().getOut();
        result.skipped().forEach((n, why) -> out.printf("skipped %s: %s%n", n, why));
        out.printf("%s: %s (seed %d)%n", result.verdict().wire(), result.dir().resolve("results.json"), chosenSeed);
        // What failed, on the terminal: a CI log may be all that is left of a run's store.
        for (CheckResult failed : result.failed()) {
            out.printf("  %s %s: %d problem(s)%n", failed.checker(), failed.verdict().wire(), failed.problemCount());
            failed.problems().stream().limit(SHOWN_PROBLEMS).forEach(p -> out.printf("    %s%n", p));
        }
        out.flush();
        return result.exitCode();
    }

    /** The dtm command line, as the test's processes run it: the dtm.jar the launcher named. */
    private static List<String> dtmCommand() {
        String jar = System.getProperty(DTM_JAR_PROPERTY);
        if (jar == null || jar.isBlank()) {
            throw new IllegalStateException("no dtm.jar to run the processes with: run it as ./dtm jepsen, or set -D"
                    + DTM_JAR_PROPERTY);
        }
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        String classPath = Path.of(jar).toAbsolutePath().toString();
        List<String> command = new ArrayList<>(List.of(javaBin, "-Xmx256m", "-XX:+UseSerialGC"));
        if (Runtime.version().feature() >= 24) {
            // As dtm's own launcher: RocksDB's JNI and sun.misc.Unsafe would print warnings at every start.
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        }
        command.addAll(List.of("-cp", classPath, "io.dtm.cli.Dtm"));
        return command;
    }

    public static void main(String[] args) {
        ensureCommonPool();
        if (System.getProperty(LOG_LEVEL_PROPERTY) == null) {
            System.setProperty(LOG_LEVEL_PROPERTY, "WARN");
        }
        org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
        org.slf4j.bridge.SLF4JBridgeHandler.install();
        System.exit(commandLine().execute(args));
    }

    /** Read by logback.xml; the harness keeps the terminal for its own output and logs only warnings. */
    static final String LOG_LEVEL_PROPERTY = "dtm.log.level";

    /** As io.dtm.cli.Dtm does: the common pool gets real threads on a one- or two-core machine. */
    private static void ensureCommonPool() {
        String parallelism = "java.util.concurrent.ForkJoinPool.common.parallelism";
        if (System.getProperty(parallelism) == null && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty(parallelism, "16");
        }
    }

    /** Configured as {@code dtm} configures its commands (tests set its output streams and execute it). */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new JepsenCommand());
        cli.setUsageHelpWidth(110);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof UserException u) {
                commandLine.getErr().println("dtm: " + e.getMessage());
                return u.exitCode();
            }
            throw e;
        });
        return cli;
    }

    /** A failure the user can act on: one line on stderr, no stack trace, the given exit code. */
    static final class UserException extends RuntimeException {
        private final int exitCode;

        UserException(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }

        int exitCode() {
            return exitCode;
        }
    }

    /** Durations as the dtm command line takes them ({@link Durations}: {@code 500ms}, {@code 30s}, {@code 2m}). */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Durations.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
