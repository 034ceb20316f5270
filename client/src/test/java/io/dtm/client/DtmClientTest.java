package io.dtm.client;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link DtmClient} against three scripted coordinator nodes (real servers on real ports, each
 * answering as the test says): leader discovery, redirects, a lost connection, the deadline and
 * the limit on submissions in flight.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DtmClientTest {
    private ClusterConfig config;
    private final Map<String, ScriptedNode> nodes = new LinkedHashMap<>();

    /** One node: answers each SUBMIT with what {@code script} says (null: never answers). */
    private static final class ScriptedNode {
        final Queue<String> seen = new ConcurrentLinkedQueue<>();
        final Queue<Pending> unanswered = new ConcurrentLinkedQueue<>();
        volatile Function<Request, Response> script;
        RpcServer<Request, Response> server;

        void start(NodeConfig node) throws IOException {
            server = RpcServer.builder(Request.parser(), (request, context) -> {
                seen.add(request.getSubmit().getTid());
                Response answer = script.apply(request);
                if (answer != null) {
                    return CompletableFuture.completedFuture(answer.toBuilder().setRequestId(request.getRequestId()).build());
                }
                Pending later = new Pending(request, new CompletableFuture<>());
                unanswered.add(later);
                return later.reply();
            }, (request, error) -> Response.newBuilder().setRequestId(request.getRequestId())
                    .setError(ErrorCode.INTERNAL.toProto(error.toString())).build()).name(node.id()).start(node.host(),
                    node.clientPort());
        }
    }

    /** A request held without an answer, until the test answers it (or the node dies). */
    private record Pending(Request request, CompletableFuture<Response> reply) {
        void answer(Response response) {
            reply.complete(response.toBuilder().setRequestId(request.getRequestId()).build());
        }
    }

    @BeforeEach
    void startNodes() throws IOException {
        config = ClusterConfig.loadDefault().withPorts(FreePorts::next);
        for (NodeConfig node : config.nodes()) {
            ScriptedNode n = new ScriptedNode();
            n.script = r -> notLeader("");
            n.start(node);
            nodes.put(node.id(), n);
        }
    }

    @AfterEach
    void stopNodes() {
        nodes.values().forEach(n -> n.server.close());
    }

    private static Response committed(Request r) {
        return Response.newBuilder().setSubmitResult(SubmitResult.newBuilder().setTid(r.getSubmit().getTid())
                .setStatus(SubmitResult.Status.COMMITTED).setAttempts(1)).build();
    }

    private static Response notLeader(String leaderId) {
        return Response.newBuilder().setError(ErrorCode.NOT_LEADER.toProto("not the leader").toBuilder()
                .setLeaderId(leaderId)).build();
    }

    private static SubmitRequest order(String tid) {
        return SubmitRequest.newBuilder().setTid(tid).build();
    }

    @Test
    void findsTheLeaderFromAnyNodeAndGoesStraightToItAfterwards() throws Exception {
        nodes.get("n1").script = r -> notLeader("n3");
        nodes.get("n2").script = r -> notLeader("n3");
        nodes.get("n3").script = DtmClientTest::committed;
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(5), Duration.ofSeconds(10))) {
            assertThat(client.submit(order("t-1")).get().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
            assertThat(client.submit(order("t-2")).get().getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        }
        assertThat(nodes.get("n1").seen).containsExactly("t-1");
        assertThat(nodes.get("n2").seen).isEmpty();
        assertThat(nodes.get("n3").seen).containsExactly("t-1", "t-2");
    }

    @Test
    void aConnectionLostMidRequestIsRetriedWithTheSameTidOnAnotherNode() throws Exception {
        nodes.get("n1").script = r -> null; // takes the request, then dies without answering
        nodes.get("n2").script = DtmClientTest::committed;
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(30), Duration.ofSeconds(30))) {
            CompletableFuture<SubmitResult> result = client.submit(order("t-lost"));
            await().atMost(Duration.ofSeconds(10)).until(() -> !nodes.get("n1").unanswered.isEmpty());
            nodes.get("n1").server.close();

            assertThat(result.get(20, TimeUnit.SECONDS).getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        }
        assertThat(nodes.get("n2").seen).containsExactly("t-lost");
    }

    @Test
    void aNodeThatTakesTheRequestAndNeverAnswersIsLeftForAnotherWithinTheDeadline() throws Exception {
        // n1 believes it leads but is cut off from the majority: it accepts and never answers.
        nodes.get("n1").script = r -> null;
        nodes.get("n2").script = DtmClientTest::committed;
        try (DtmClient client = new DtmClient(config, Duration.ofMillis(300), Duration.ofSeconds(20))) {
            SubmitResult result = client.submit(order("t-cut-off")).get(15, TimeUnit.SECONDS);

            assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        }
        assertThat(nodes.get("n1").seen).contains("t-cut-off");
        assertThat(nodes.get("n2").seen).containsExactly("t-cut-off");
    }

    @Test
    void noOutcomeByTheDeadlineIsUnknownNeverAGuess() throws Exception {
        // Nobody leads (an election that does not end): every node says so, again and again.
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(5), Duration.ofMillis(500))) {
            SubmitResult result = client.submit(order("t-late")).get(10, TimeUnit.SECONDS);

            assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.UNKNOWN);
            assertThat(result.getTid()).isEqualTo("t-late");
            assertThat(result.getReason()).contains("no outcome within 500 ms").contains("not the leader");
        }
        assertThat(nodes.values().stream().mapToInt(n -> n.seen.size()).sum()).isGreaterThan(3);
    }

    @Test
    void aRefusalThatRetryingCannotChangeIsNotRetried() {
        nodes.get("n1").script = r -> Response.newBuilder()
                .setError(ErrorCode.INVALID_REQUEST.toProto("request has no body")).build();
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(5), Duration.ofSeconds(10))) {
            assertThat(client.submit(order("t-bad"))).failsWithin(Duration.ofSeconds(10))
                    .withThrowableThat().havingRootCause().isInstanceOf(RemoteException.class)
                    .withMessageContaining("request has no body");
        }
        assertThat(nodes.get("n1").seen).containsExactly("t-bad");
    }

    @Test
    void atMostMaxInFlightSubmissionsRunAndTheRestWaitTheirTurnInOrder() throws Exception {
        ScriptedNode leader = nodes.get("n1");
        leader.script = r -> null;
        List<CompletableFuture<SubmitResult>> results = new ArrayList<>();
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(30), Duration.ofSeconds(30), 3)) {
            for (int i = 1; i <= 6; i++) {
                results.add(client.submit(order("t-" + i)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> leader.unanswered.size() == 3);
            assertThat(leader.seen).containsExactlyInAnyOrder("t-1", "t-2", "t-3");

            leader.script = DtmClientTest::committed;
            Pending first = leader.unanswered.poll();
            first.answer(committed(first.request()));
            assertThat(results.get(List.of("t-1", "t-2", "t-3").indexOf(first.request().getSubmit().getTid())).get())
                    .extracting(SubmitResult::getStatus).isEqualTo(SubmitResult.Status.COMMITTED);
            await().atMost(Duration.ofSeconds(10)).until(() -> leader.seen.size() == 6);
            assertThat(leader.seen).containsSubsequence("t-4", "t-5", "t-6");
        }
    }

    @Test
    void closingAnswersEverySubmissionInFlightUnknownAndFailsTheUnsentOnes() {
        nodes.get("n1").script = r -> null;
        DtmClient client = new DtmClient(config, Duration.ofSeconds(30), Duration.ofSeconds(30), 1);
        CompletableFuture<SubmitResult> sent = client.submit(order("t-sent"));
        CompletableFuture<SubmitResult> queued = client.submit(order("t-queued"));
        await().atMost(Duration.ofSeconds(10)).until(() -> nodes.get("n1").seen.contains("t-sent"));

        client.close();

        assertThat(sent).succeedsWithin(Duration.ofSeconds(5)).extracting(SubmitResult::getStatus)
                .isEqualTo(SubmitResult.Status.UNKNOWN);
        assertThat(queued).failsWithin(Duration.ofSeconds(5)).withThrowableThat()
                .withMessageContaining("closed before t-queued was sent");
        assertThat(nodes.get("n1").seen).containsExactly("t-sent");
    }
}
