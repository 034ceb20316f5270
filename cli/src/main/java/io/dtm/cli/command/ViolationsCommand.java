package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.Json;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.protocol.rpc.InvariantViolation;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import static picocli.CommandLine.Model.CommandSpec;

/** The participants that contradict the replicated log, as the coordinating leader reports them. */
@Command(name = "violations",
        description = {"List invariant violations: participants that contradict the replicated log.",
            "A participant that refuses the logged COMMIT or ROLLBACK of a transaction (or acknowledges the",
            "other outcome) breaks atomicity. The transaction then stays unfinished: the leader keeps it,",
            "writes no End, and sends the outcome again every retryBackoffMaxMs until the participant",
            "acknowledges it. Repair that service's record of the attempt (./dtm inspect SERVICE shows it)",
            "and the transaction finishes by itself."},
        footer = {"", "Exit status: 0 when there is none, 1 when there are some, 3 when no node answers.",
            "", "Examples:", "  ./dtm violations", "  ./dtm violations --json"},
        mixinStandardHelpOptions = true)
public final class ViolationsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON array.")
    boolean json;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        ClusterConfig config = options.load();
        ClusterView view;
        try (DtmConnections connections = CliConnections.open(config, Duration.ofMillis(config.timeouts().rpcTimeoutMs()))) {
            view = ClusterStatusReader.read(config, connections);
        }
        if (!view.anyReachable()) {
            throw new UserException("no coordinator reachable at " + config.clientAddresses()
                    + ": is the cluster running? try ./dtm cluster start" + options.asGiven(), 3);
        }
        List<InvariantViolation> violations = view.violations();
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(toJson(violations)));
        } else if (violations.isEmpty()) {
            out.println("no invariant violations" + (view.leader().isPresent() ? "" : " reported (no leader is known)"));
        } else {
            print(out, violations);
        }
        out.flush();
        return violations.isEmpty() ? 0 : 1;
    }

    /** One line per violation, under a heading; nothing when there are none. */
    static void print(PrintWriter out, List<InvariantViolation> violations) {
        if (violations.isEmpty()) {
            return;
        }
        out.println("INVARIANT VIOLATIONS (" + violations.size() + "): these transactions stay unfinished until the"
                + " service acknowledges the logged outcome (see ./dtm violations --help)");
        for (InvariantViolation v : violations) {
            out.println("  " + v.getAttemptId() + " at " + v.getService() + " since "
                    + Instant.ofEpochMilli(v.getSinceMs()) + ": " + v.getMessage());
        }
    }

    static List<Map<String, Object>> toJson(List<InvariantViolation> violations) {
        return violations.stream().map(v -> {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("attemptId", v.getAttemptId());
            o.put("service", v.getService());
            o.put("message", v.getMessage());
            o.put("sinceMs", v.getSinceMs());
            return o;
        }).toList();
    }
}
