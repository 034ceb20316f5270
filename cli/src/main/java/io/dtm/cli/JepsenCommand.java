package io.dtm.cli;

import io.dtm.jepsen.run.JepsenTest;
import io.dtm.jepsen.run.Nemesis;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "jepsen",
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
final class JepsenCommand implements Callable<Integer> {
    /** Exit code when the harness failed before a verdict: distinct from 1, so it never passes for "invalid". */
    static final int HARNESS_FAILED = 3;

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

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the workload and the nemeses' choices. "
            + "Default: the time.")
    Long seed;

    @Spec
    CommandSpec spec;

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
                    resultCacheSize == null ? OptionalInt.empty() : OptionalInt.of(resultCacheSize)));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // Not a verdict: the test never ran to its end. Exit 1 would read as "invalid".
            throw new UserException("the harness could not run the test: " + e, HARNESS_FAILED);
        }
        var out = spec.commandLine().getOut();
        result.skipped().forEach((n, why) -> out.printf("skipped %s: %s%n", n, why));
        out.printf("%s: %s (seed %d)%n", result.verdict().wire(), result.dir().resolve("results.json"), chosenSeed);
        out.flush();
        return result.exitCode();
    }

    /** This same program, as the test's processes run it. */
    private static List<String> dtmCommand() {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(p -> Path.of(p).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        return new ArrayList<>(List.of(javaBin, "-Xmx256m", "-XX:+UseSerialGC", "-cp", classPath, Dtm.class.getName()));
    }
}
