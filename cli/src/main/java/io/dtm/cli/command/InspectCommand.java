package io.dtm.cli.command;

import io.dtm.cli.CliConnections;
import io.dtm.cli.Json;
import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.protocol.AttemptId;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.LocalTxn;
import io.dtm.protocol.participant.PreparedTxn;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;
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
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "inspect",
        description = {"Show a running participant service's durable state.",
            "Transactions by local state, the PREPARED ones with their age, and the domain totals",
            "(inventory: initialStock = available + reserved + sold; payment: the same for money;",
            "order: confirmed, pending; shipping: scheduled, pending). With --tid, one transaction."},
        footer = {"", "Examples:",
            "  ./dtm inspect inventory",
            "  ./dtm inspect payment --json | jq .prepared",
            "  ./dtm inspect order --tid t-1#1"},
        mixinStandardHelpOptions = true)
public final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SERVICE", description = "inventory, payment, order or shipping.")
    String service;

    @Option(names = "--tid", paramLabel = "TID", description = "One transaction attempt (tid or tid#n): its local state and effects.")
    String tid;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        ServiceName name = ConfigOptions.service(service);
        if (tid != null) {
            AttemptId.problem(tid).ifPresent(p -> {
                throw new UserException(p, 2);
            });
        }
        ClusterConfig config = options.load();
        try (DtmConnections connections = CliConnections.open(config, Duration.ofMillis(config.timeouts().rpcTimeoutMs()));
                ParticipantClient client = connections.connectParticipant(name, config.service(name)).get()) {
            if (tid != null) {
                print(client.query(tid).get());
            } else {
                print(client.inspect().get());
            }
        } catch (ExecutionException e) {
            throw new UserException(name.id() + " at " + config.service(name).address() + " did not answer: "
                    + e.getCause().getMessage() + ". Is it running? try ./dtm cluster status", 3);
        }
        return 0;
    }

    private void print(InspectReply r) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("service", r.getService());
            o.put("states", new LinkedHashMap<>(r.getStatesMap()));
            List<Map<String, Object>> prepared = new ArrayList<>();
            for (PreparedTxn p : r.getPreparedList()) {
                prepared.add(Map.of("tid", p.getAttemptId(), "ageMs", p.getAgeMs()));
            }
            o.put("prepared", prepared);
            o.putAll(r.getTotalsMap());
            o.put("protocolErrors", r.getProtocolErrors());
            o.put("writes", r.getWrites());
            o.put("writtenMessages", r.getWrittenMessages());
            o.put("fsyncs", r.getFsyncs());
            out.println(Json.write(o));
        } else {
            out.println(r.getService());
            out.println("  transactions  " + r.getStatesMap());
            r.getTotalsMap().forEach((k, v) -> out.printf("  %-20s %,d%n", k, v));
            out.printf("  %-20s %,d%n", "protocolErrors", r.getProtocolErrors());
            out.printf("  %-20s %,d writes carrying %,d messages, %,d fsyncs (since start)%n", "storage",
                    r.getWrites(), r.getWrittenMessages(), r.getFsyncs());
            out.println("  prepared      " + (r.getPreparedCount() == 0 ? "none" : ""));
            for (PreparedTxn p : r.getPreparedList()) {
                out.printf("    %-40s %,d ms%n", p.getAttemptId(), p.getAgeMs());
            }
        }
        out.flush();
    }

    private void print(LocalTxn t) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("service", service);
            o.put("tid", t.getAttemptId());
            o.put("state", t.getState().name());
            if (t.hasVote()) {
                Map<String, Object> vote = new LinkedHashMap<>();
                vote.put("yes", t.getVote().getYes());
                vote.put("code", t.getVote().getCode().name());
                vote.put("message", t.getVote().getMessage());
                o.put("vote", vote);
            }
            o.put("preparedAtMs", t.getPreparedAtMs() == 0 ? null : t.getPreparedAtMs());
            o.put("effects", t.getEffectsList());
            out.println(Json.write(o));
        } else {
            out.printf("%s at %s: %s%n", t.getAttemptId(), service, t.getState());
            if (t.hasVote()) {
                out.printf("  vote     %s %s%s%n", t.getVote().getYes() ? "YES" : "NO", t.getVote().getCode(),
                        t.getVote().getMessage().isEmpty() ? "" : " (" + t.getVote().getMessage() + ")");
            }
            for (String effect : t.getEffectsList()) {
                out.println("  effect   " + effect);
            }
        }
        out.flush();
    }
}
