package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;

import java.util.Random;

import static io.dtm.coordinator.core.CoreHarness.ALL;
import static io.dtm.coordinator.core.CoreHarness.BEGUN;
import static io.dtm.coordinator.core.CoreHarness.ENDED;
import static io.dtm.coordinator.core.CoreHarness.applied;
import static io.dtm.coordinator.core.CoreHarness.order;
import static io.dtm.coordinator.core.CoreHarness.valid;
import static io.dtm.coordinator.core.CoreHarness.yes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the leader's 2PC engine holds on the heap per transaction, measured exactly (object graph
 * walk, JOL) for a four-service order like the benchmark's (tids like {@code order-000042}): while
 * it is in flight (Begin applied, PREPAREs out), and once it is finished and only its answer is
 * kept, serialised, for resubmissions. The numbers are in docs/PERFORMANCE.md (Memory); the bounds
 * here catch a change that bloats either (the answer kept as objects was 683 B).
 */
class CoordinatorCoreFootprintTest {
    private static final int N = 5_000;
    private static final CoordinatorSettings SETTINGS = new CoordinatorSettings("coordinator:n1", 3, 50, 2_000,
            10_000, 5, 20, N, N, TestDigest.KEYED);
    private static final long NOW = 1_000_000;

    private static long bytes(CoordinatorCore core) {
        return GraphLayout.parseInstance(core).totalSize();
    }

    private static String tid(int i) {
        return String.format("order-%06d", i);
    }

    @Test
    void bytesPerTransactionInFlightAndPerAnswerKept() {
        CoordinatorCore inFlight = new CoordinatorCore(SETTINGS, new Random(1));
        CoordinatorCore finished = new CoordinatorCore(SETTINGS, new Random(1));
        long empty = bytes(new CoordinatorCore(SETTINGS, new Random(1)));
        for (int i = 0; i < N; i++) {
            String tid = tid(i);
            String attempt = tid + "#1";
            inFlight.submit(valid(order(tid)), NOW);
            inFlight.beginApplied(attempt, BEGUN, NOW);

            finished.submit(valid(order(tid)), NOW);
            finished.beginApplied(attempt, BEGUN, NOW);
            for (ServiceName s : ALL) {
                finished.voted(attempt, s, yes(), NOW);
            }
            finished.decideApplied(attempt, applied(Outcome.COMMIT, TxnStatus.DECIDED), NOW);
            for (ServiceName s : ALL) {
                finished.acknowledged(attempt, s, LocalState.COMMITTED, false, NOW);
            }
            finished.endApplied(attempt, ENDED, NOW);
        }
        assertThat(inFlight.inFlight()).isEqualTo(N);
        assertThat(finished.inFlight()).as("every transaction finished and forgotten but its answer").isZero();

        double perInFlight = (bytes(inFlight) - empty) / (double) N;
        double perAnswer = (bytes(finished) - empty) / (double) N;
        System.out.printf("coordinator bytes per transaction: in flight %.0f, answer kept %.0f%n", perInFlight, perAnswer);

        assertThat(perInFlight).isLessThan(2_200);
        assertThat(perAnswer).isLessThan(340);
    }
}
