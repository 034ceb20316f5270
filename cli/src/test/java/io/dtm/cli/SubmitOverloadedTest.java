package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.rpc.NodeStatus;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code dtm submit} against scripted coordinator nodes (real ports) whose leader, n1, answers
 * OVERLOADED: a line is printed OVERLOADED only when it never got through by {@code --timeout}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SubmitOverloadedTest {
    private static final String NO_ROOM = "overloaded: 5 transactions waiting for their outcome (at most 5); retry later";
    /** How many times the leader turns each tid away before it has room: forever for "always-busy". */
    private static final Map<String, Integer> TURNED_AWAY = Map.of("busy-then-ok", 2, "always-busy", Integer.MAX_VALUE);

    @TempDir
    Path dir;

    private final List<RpcServer<Request, Response>> servers = new ArrayList<>();
    private final Map<String, Integer> seen = new ConcurrentHashMap<>();
    private Path config;

    @BeforeEach
    void startScriptedNodes() throws Exception {
        ClusterConfig cluster = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir.resolve("data"));
        // Scripted plain-TCP nodes: what is tested is how the command line meets overload, not TLS.
        cluster = cluster.withTls(cluster.tls().withEnabled(false));
        for (NodeConfig node : cluster.nodes()) {
            boolean leads = node.id().equals("n1");
            servers.add(RpcServer.builder(Request.parser(), (request, context) -> CompletableFuture.completedFuture(
                            answer(request, node.id(), leads).toBuilder().setRequestId(request.getRequestId()).build()),
                    (request, error) -> Response.newBuilder().setRequestId(request.getRequestId())
                            .setError(ErrorCode.INTERNAL.toProto(error.toString())).build())
                    .name(node.id()).start(node.host(), node.clientPort()));
        }
        config = dir.resolve("cluster.yaml");
        Files.writeString(config, cluster.toYaml());
    }

    @AfterEach
    void stopScriptedNodes() {
        servers.forEach(RpcServer::close);
    }

    private Response answer(Request request, String nodeId, boolean leads) {
        if (request.hasNodeStatus()) {
            return Response.newBuilder().setNodeStatus(NodeStatus.newBuilder().setNodeId(nodeId)
                    .setRole(leads ? "LEADER" : "FOLLOWER").setLeaderId("n1").setLeaderReady(true)).build();
        }
        if (!request.hasSubmit()) {
            return Response.newBuilder().setError(ErrorCode.INVALID_REQUEST.toProto("not scripted")).build();
        }
        if (!leads) {
            return Response.newBuilder().setError(ErrorCode.NOT_LEADER.toProto("not the leader").toBuilder()
                    .setLeaderId("n1")).build();
        }
        String tid = request.getSubmit().getTid();
        int tries = seen.merge(tid, 1, Integer::sum);
        SubmitResult.Builder result = SubmitResult.newBuilder().setTid(tid);
        if (tries <= TURNED_AWAY.get(tid)) {
            result.setStatus(SubmitResult.Status.OVERLOADED).setReason(NO_ROOM);
        } else {
            result.setStatus(SubmitResult.Status.COMMITTED).setAttempts(1);
        }
        return Response.newBuilder().setSubmitResult(result).build();
    }

    private static String order(String tid) {
        return "{\"tid\":\"" + tid + "\",\"services\":{\"payment\":{\"account\":\"acct-0001\","
                + "\"card\":\"4111111111111111\",\"expiry\":\"12/30\",\"amountCents\":2500}}}";
    }

    @Test
    void aLineIsOverloadedOnlyIfItNeverGotThroughByTheTimeout() throws Exception {
        Path orders = dir.resolve("orders.jsonl");
        Files.write(orders, List.of(order("busy-then-ok"), order("always-busy")));

        CliRun run = CliRun.of("submit", orders.toString(), "--config", config.toString(), "--timeout", "2s");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<Integer, Map<String, Object>> outcomes = SubmitCommandTest.byLine(run.out());
        assertThat(outcomes.get(1)).containsEntry("tid", "busy-then-ok").containsEntry("status", "COMMITTED");
        assertThat(outcomes.get(2)).containsEntry("tid", "always-busy").containsEntry("status", "OVERLOADED");
        assertThat((String) outcomes.get(2).get("error")).startsWith(NO_ROOM);
        assertThat(seen.get("busy-then-ok")).as("retried after each OVERLOADED").isEqualTo(3);
        assertThat(seen.get("always-busy")).as("retried until the timeout").isGreaterThan(1);
    }
}
