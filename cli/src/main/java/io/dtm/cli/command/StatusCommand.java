package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.Json;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.AttemptId;
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.InvariantViolation;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "status",
        description = {"Show a transaction's state in the replicated log.",
            "Read linearizably through the first node that answers (any node can answer)."},
        footer = {"", "States: UNKNOWN (never seen, or forgotten long ago), IN_FLIGHT, DECIDED (COMMIT or ABORT,",
            "phase 2 still running), ENDED, FORGOTTEN (it ran, but its outcome is no longer retained:",
            "log.retention). A tid's state is its last attempt's (tid#2 after a retry); name one as tid#n.",
            "Invariant violations of the tid (a participant contradicting the log) are listed below it.",
            "", "Examples:", "  ./dtm status t-1", "  ./dtm status t-1 --json"},
        mixinStandardHelpOptions = true)
public final class StatusCommand implements java.util.concurrent.Callable<Integer> {
    @Parameters(paramLabel = "TID", description = "Transaction id.")
    String tid;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    /** The cluster's log groups (the text names the tid's group when there are several). */
    private int groups = 1;

    @Override
    public Integer call() throws InterruptedException {
        AttemptId.problem(tid).ifPresent(p -> {
            throw new UserException(p, 2);
        });
        ClusterConfig config = options.load();
        groups = config.log().groups();
        List<String> failures = new ArrayList<>();
        try (DtmConnections connections = CliConnections.open(config, Duration.ofMillis(config.timeouts().rpcTimeoutMs()))) {
            for (NodeConfig node : config.nodes()) {
                try (NodeClient client = connections.connect(node).get()) {
                    TxnState state = client.txnStatus(tid).get();
                    print(state, node.id(), LogGroupOfTid.indexOf(tid, config.log().groups()),
                            violationsOf(ClusterStatusReader.read(config, connections).violations()));
                    return 0;
                } catch (ExecutionException | CompletionException e) {
                    Throwable cause = e.getCause() == null ? e : e.getCause();
                    failures.add(node.id() + ": " + cause.getMessage());
                    if (cause instanceof RemoteException r && !r.code().retriable()) {
                        throw new UserException(cause.getMessage(), 2);
                    }
                }
            }
        }
        throw new UserException("no coordinator could answer (" + String.join("; ", failures)
                + "). Is the cluster running? try ./dtm cluster start" + options.asGiven(), 3);
    }

    /** The violations about this tid's attempts (or this attempt). */
    private List<InvariantViolation> violationsOf(List<InvariantViolation> all) {
        return all.stream().filter(v -> v.getAttemptId().equals(tid)
                || AttemptId.isBare(tid) && AttemptId.tidOf(v.getAttemptId()).equals(tid)).toList();
    }

    private void print(TxnState state, String via, int group, List<InvariantViolation> violations) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("tid", state.getAttemptId());
            o.put("status", state.getStatus().name());
            o.put("outcome", state.getOutcome() == Outcome.UNDECIDED ? null : state.getOutcome().name());
            o.put("reason", state.getReason().isEmpty() ? null : state.getReason());
            o.put("decidedBy", state.getProposer().isEmpty() ? null : state.getProposer());
            o.put("participants", state.getParticipantsList());
            o.put("readVia", via);
            o.put("group", group);
            o.put("violations", ViolationsCommand.toJson(violations));
            out.println(Json.write(o));
        } else {
            StringBuilder line = new StringBuilder(state.getAttemptId()).append(": ").append(state.getStatus());
            if (state.getOutcome() != Outcome.UNDECIDED) {
                line.append(' ').append(state.getOutcome());
                if (!state.getReason().isEmpty()) {
                    line.append(" (").append(state.getReason()).append(')');
                }
                if (!state.getProposer().isEmpty()) {
                    line.append(", decided by ").append(state.getProposer());
                }
            }
            if (state.getParticipantsCount() > 0) {
                line.append(", participants ").append(String.join(",", state.getParticipantsList()));
            }
            if (state.getOutcome() == Outcome.UNDECIDED && !state.getReason().isEmpty()) {
                line.append(" (").append(state.getReason()).append(')'); // why FORGOTTEN
            }
            if (state.getForgotten()) {
                line.append("; this ABORT only undid a re-run of an attempt whose first outcome is no longer retained");
            }
            if (groups > 1) {
                line.append(" [log group ").append(group).append(']');
            }
            out.println(line);
            ViolationsCommand.print(out, violations);
        }
        out.flush();
    }
}
