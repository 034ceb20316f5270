package io.dtm.participant;

import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.ServiceName;
import io.dtm.protocol.participant.InspectReply;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.rpc.ClusterPki;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Thousands of random prepares, commits and rollbacks, 64 in flight, with duplicates and
 * rollbacks that overtake their prepares, on ten hot records: most requests share them (escrow),
 * one in five names a version and needs its record alone, so LOCKED votes happen. After
 * everything is finished, stock and money are conserved and the sold and captured amounts are
 * exactly those of the committed transactions, each counted once.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConservationTest {
    private static final int TRANSACTIONS = 3_000;
    private static final int IN_FLIGHT = 64;

    @TempDir
    Path dir;

    @Test
    void inventoryConservesStockAndCountsEachCommitOnce() throws Exception {
        Totals t = run(ServiceName.INVENTORY, i -> i % 5 == 0
                ? ParticipantServerTest.reserveVersioned("inv-" + i, String.format("sku-%04d", i % 10), 1 + i % 3,
                        1 + i / 100)
                : ParticipantServerTest.reserve("inv-" + i, String.format("sku-%04d", i % 10), 1 + i % 3),
                i -> 1 + i % 3L);

        assertThat(t.end.get("initialStock")).isEqualTo(t.end.get("available") + t.end.get("reserved") + t.end.get("sold"));
        assertThat(t.end.get("reserved")).isZero();
        assertThat(t.end.get("sold")).isEqualTo(t.committedAmount);
    }

    @Test
    void paymentConservesMoneyAndCapturesEachCommitOnce() throws Exception {
        Totals t = run(ServiceName.PAYMENT, i -> {
            Prepare pay = ParticipantServerTest.pay("pay-" + i, String.format("acct-%04d", i % 10), 100 + i % 7);
            return i % 5 == 0 ? pay.toBuilder().setPayment(pay.getPayment().toBuilder().setExpectedVersion(1 + i / 100))
                    .build() : pay;
        }, i -> 100 + i % 7L);

        assertThat(t.end.get("initialBalanceCents"))
                .isEqualTo(t.end.get("balanceCents") + t.end.get("heldCents") + t.end.get("capturedCents"));
        assertThat(t.end.get("heldCents")).isZero();
        assertThat(t.end.get("capturedCents")).isEqualTo(t.committedAmount);
    }

    private record Totals(Map<String, Long> end, long committedAmount) {
    }

    /**
     * Runs the random workload: each transaction is prepared (sometimes twice), then committed or
     * rolled back (sometimes twice); one in ten starts with its rollback, before its prepare.
     */
    private Totals run(ServiceName service, IntFunction<Prepare> prepare, java.util.function.IntToLongFunction amount) throws Exception {
        ClusterConfig config = ClusterConfig.loadDefault().withPorts(FreePorts::next).withDataDir(dir)
                .withTlsDir(dir.resolve("tls"));
        ClusterPki.prepare(config, dir.resolve("ca")); // the test plays node n1 towards the service, and reads it as admin
        Random random = new Random(20261129);
        AtomicLong committed = new AtomicLong();
        Map<VoteCode, Integer> votes = new ConcurrentHashMap<>();
        try (ParticipantServer server = ParticipantServer.start(config, service);
                DtmConnections connections = DtmConnections.of(config, "n1", Duration.ofSeconds(30), "test");
                ParticipantClient client = connections.connectParticipant(service, config.service(service)).get();
                DtmConnections asAdmin = DtmConnections.of(config, "admin", Duration.ofSeconds(30), "test-admin");
                ParticipantClient operator = asAdmin.connectParticipant(service, config.service(service)).get()) {
            Semaphore inFlight = new Semaphore(IN_FLIGHT);
            List<CompletableFuture<?>> all = new ArrayList<>();
            for (int i = 0; i < TRANSACTIONS; i++) {
                int n = i;
                String tid = prepare.apply(n).getAttemptId();
                boolean rollbackFirst = random.nextInt(10) == 0;
                boolean duplicatePrepare = random.nextInt(5) == 0;
                boolean duplicateDecision = random.nextInt(5) == 0;
                boolean commitWanted = random.nextBoolean();
                inFlight.acquire();
                CompletableFuture<?> txn = (rollbackFirst
                        ? client.rollback(tid).thenCompose(s -> client.prepare(prepare.apply(n)))
                        : client.prepare(prepare.apply(n)))
                        .thenCompose(vote -> duplicatePrepare
                                ? client.prepare(prepare.apply(n)).thenApply(again -> sameVote(vote, again))
                                : CompletableFuture.completedFuture(vote))
                        .thenCompose(vote -> {
                            votes.merge(vote.getCode(), 1, Integer::sum);
                            if (!vote.getYes()) {
                                return client.rollback(tid);
                            }
                            CompletableFuture<LocalState> decided = commitWanted ? client.commit(tid) : client.rollback(tid);
                            return duplicateDecision
                                    ? decided.thenCompose(s -> commitWanted ? client.commit(tid) : client.rollback(tid))
                                    : decided;
                        })
                        .thenAccept(state -> {
                            if (state == LocalState.COMMITTED) {
                                committed.addAndGet(amount.applyAsLong(n));
                            }
                        })
                        .whenComplete((r, e) -> inFlight.release());
                all.add(txn);
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(2, TimeUnit.MINUTES);
            InspectReply inspect = operator.inspect().get();
            assertThat(inspect.getPreparedList()).as("everything finished").isEmpty();
            assertThat(inspect.getProtocolErrors()).isZero();
            assertThat(inspect.getStatesMap().get("COMMITTED")).isPositive();
            assertThat(votes).as("records were shared and versioned requests were kept out")
                    .containsKeys(VoteCode.YES, VoteCode.LOCKED);
            return new Totals(inspect.getTotalsMap(), committed.get());
        }
    }

    private static Vote sameVote(Vote first, Vote again) {
        assertThat(again).as("a duplicate PREPARE gets the first answer").isEqualTo(first);
        return first;
    }
}
