package io.dtm.client;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.LogGroupOfTid;
import io.dtm.protocol.RemoteException;
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
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link DtmClient} against three scripted coordinator nodes (real servers on real ports, each
 * answering as the test says): leader discovery, redirects, a lost connection, the deadline, the
 * retries of OVERLOADED answers, jittered backoff, the bounds on submissions in flight and waiting,
 * and routing each tid to its log group's leader.
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
        // One log group, unless a test says otherwise: the scripted nodes play one leader, and what is
        // tested is how the client finds it and retries (routing by group: the test below, and
        // MultiGroupClusterTest on real nodes).
        config = ClusterConfig.loadDefault().withLogGroups(1, 0).withPorts(FreePorts::next);
        // Scripted plain-TCP nodes: what is tested is the client's retries and answers, not TLS (MutualTlsTest).
        config = config.withTls(config.tls().withEnabled(false));
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

    private static final String NO_ROOM = "overloaded: 5 transactions waiting for their outcome (at most 5); retry later";

    private static Response overloaded(Request r) {
        return Response.newBuilder().setSubmitResult(SubmitResult.newBuilder().setTid(r.getSubmit().getTid())
                .setStatus(SubmitResult.Status.OVERLOADED).setReason(NO_ROOM)).build();
    }

    /** A client whose backoffs are drawn from {@code seed} and recorded in {@code delaysMs}. */
    private DtmClient recording(Duration deadline, long seed, List<Long> delaysMs) {
        return new DtmClient(config, Duration.ofSeconds(5), deadline, DtmClient.DEFAULT_MAX_IN_FLIGHT,
                DtmClient.DEFAULT_MAX_WAITING, new Random(seed), delaysMs::add);
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
    void eachTidGoesToItsGroupsLeaderAndARedirectMovesOnlyThatGroup() throws Exception {
        config = config.withLogGroups(3, 0);
        // Group g prefers node n(g+1). Group 0 has moved to n2; groups 1 and 2 are on their preferred nodes.
        assertThat(List.of(config.groupMembers(0).get(0), config.groupMembers(1).get(0), config.groupMembers(2).get(0)))
                .containsExactly("n1", "n2", "n3");
        String g0a = tidOfGroup(0, "a");
        String g0b = tidOfGroup(0, "b");
        String g1 = tidOfGroup(1, "c");
        String g2 = tidOfGroup(2, "d");
        nodes.get("n1").script = r -> notLeader("n2");
        nodes.get("n2").script = r -> group(r) == 0 || group(r) == 1 ? committed(r) : notLeader("n3");
        nodes.get("n3").script = r -> group(r) == 2 ? committed(r) : notLeader("");
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(5), Duration.ofSeconds(10))) {
            for (String tid : List.of(g0a, g1, g2, g0b)) {
                assertThat(client.submit(order(tid)).get().getStatus()).as(tid).isEqualTo(SubmitResult.Status.COMMITTED);
            }
        }
        assertThat(nodes.get("n1").seen).as("group 0's preferred node, asked once").containsExactly(g0a);
        assertThat(nodes.get("n2").seen).as("group 0 followed there; group 1 at home").containsExactly(g0a, g1, g0b);
        assertThat(nodes.get("n3").seen).as("group 2 never moved").containsExactly(g2);
    }

    private String tidOfGroup(int group, String prefix) {
        for (int i = 0; ; i++) {
            String tid = prefix + "-" + i;
            if (LogGroupOfTid.indexOf(tid, config.log().groups()) == group) {
                return tid;
            }
        }
    }

    private int group(Request r) {
        return LogGroupOfTid.indexOf(r.getSubmit().getTid(), config.log().groups());
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

    @Test
    void anOverloadedAnswerIsRetriedAndTheLaterOutcomeReturned() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        nodes.get("n1").script = r -> asked.incrementAndGet() <= 2 ? overloaded(r) : committed(r);
        List<Long> delaysMs = new CopyOnWriteArrayList<>();
        try (DtmClient client = recording(Duration.ofSeconds(20), 1, delaysMs)) {
            SubmitResult result = client.submit(order("t-busy")).get(15, TimeUnit.SECONDS);

            assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        }
        assertThat(nodes.get("n1").seen).containsExactly("t-busy", "t-busy", "t-busy");
        assertThat(delaysMs).as("one backoff before each try again").hasSize(2);
    }

    @Test
    void aLeaderOverloadedUntilTheDeadlineGivesOverloadedWithItsReasonNeverUnknown() throws Exception {
        nodes.get("n1").script = DtmClientTest::overloaded;
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(5), Duration.ofMillis(500))) {
            SubmitResult result = client.submit(order("t-no-room")).get(10, TimeUnit.SECONDS);

            assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.OVERLOADED);
            assertThat(result.getTid()).isEqualTo("t-no-room");
            assertThat(result.getReason()).startsWith(NO_ROOM).contains("within 500 ms");
        }
        assertThat(nodes.get("n1").seen).as("tried again until the deadline").hasSizeGreaterThan(1);
        assertThat(nodes.get("n2").seen).as("the leader answered: nobody else is asked").isEmpty();
    }

    @Test
    void retryDelaysAreJitteredWithinExponentialBoundsAndDifferBetweenClients() throws Exception {
        // Nobody leads: every node says so, and both clients retry until their deadline.
        List<Long> first = new CopyOnWriteArrayList<>();
        List<Long> second = new CopyOnWriteArrayList<>();
        try (DtmClient a = recording(Duration.ofMillis(1_500), 1, first);
                DtmClient b = recording(Duration.ofMillis(1_500), 2, second)) {
            CompletableFuture<SubmitResult> fromA = a.submit(order("t-a"));
            CompletableFuture<SubmitResult> fromB = b.submit(order("t-b"));
            assertThat(fromA.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(SubmitResult.Status.UNKNOWN);
            assertThat(fromB.get(10, TimeUnit.SECONDS).getStatus()).isEqualTo(SubmitResult.Status.UNKNOWN);
        }
        for (List<Long> delays : List.of(first, second)) {
            assertThat(delays).hasSizeGreaterThanOrEqualTo(4);
            for (int i = 0; i < delays.size(); i++) {
                assertThat(delays.get(i)).as("retry %d", i).isBetween(0L, Backoff.boundMs(i));
            }
            assertThat(Set.copyOf(delays)).as("jittered, not one fixed pause").hasSizeGreaterThan(1);
        }
        int common = Math.min(first.size(), second.size());
        assertThat(first.subList(0, common)).as("two clients do not retry in lockstep")
                .isNotEqualTo(second.subList(0, common));
    }

    @Test
    void theDefaultClientIsBoundedAndRefusesASubmissionPastItsQueueAtOnce() throws Exception {
        ScriptedNode leader = nodes.get("n1");
        leader.script = r -> null;
        int room = DtmClient.DEFAULT_MAX_IN_FLIGHT + DtmClient.DEFAULT_MAX_WAITING;
        try (DtmClient client = new DtmClient(config, Duration.ofSeconds(30), Duration.ofSeconds(30))) {
            List<CompletableFuture<SubmitResult>> held = new ArrayList<>(room);
            for (int i = 0; i < room; i++) {
                held.add(client.submit(order("t-" + i)));
            }
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> leader.unanswered.size() == DtmClient.DEFAULT_MAX_IN_FLIGHT);

            CompletableFuture<SubmitResult> refused = client.submit(order("t-one-too-many"));

            assertThat(refused).as("answered at once").isDone();
            assertThat(refused.get().getStatus()).isEqualTo(SubmitResult.Status.OVERLOADED);
            assertThat(refused.get().getTid()).isEqualTo("t-one-too-many");
            assertThat(refused.get().getReason()).contains("DtmClient saturated").contains("nothing was sent");
            assertThat(held).noneMatch(CompletableFuture::isDone);
            assertThat(leader.seen).hasSize(DtmClient.DEFAULT_MAX_IN_FLIGHT).doesNotContain("t-one-too-many");
        }
    }
}
