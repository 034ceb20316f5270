package io.dtm.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Narayana baseline once, for a second, and checks that it measured what it claims: real
 * two-phase commits with a durable log write each. Narayana is configured once per JVM, so every
 * test here reads the same run.
 */
class BaselineRunTest {

    @TempDir
    static Path storeDir;

    private static BaselineResult result;

    @BeforeAll
    static void runForOneSecond() throws InterruptedException {
        result = BaselineRun.run(new BaselineOptions(2, 1, 0, storeDir));
    }

    @AfterAll
    static void shutDownNarayana() {
        BaselineRun.shutdown();
    }

    @Test
    void transactionsCommit() {
        assertThat(result.committed()).isPositive();
        // No warm-up: every transaction of the run was measured.
        assertThat(result.totalCommitted()).isEqualTo(result.committed());
        assertThat(result.latencyMicros().getTotalCount()).isEqualTo(result.committed());
        assertThat(result.committedPerSec()).isPositive();
    }

    @Test
    void everyResourceIsPreparedThenCommittedInEveryTransaction() {
        long branches = BaselineRun.RESOURCES_PER_TRANSACTION * result.totalCommitted();
        ResourceLedger.Counts calls = result.resources();

        assertThat(calls.prepares()).isEqualTo(branches);
        assertThat(calls.commits()).isEqualTo(branches);
        // A commit without its prepare, or in one phase, would have been counted here.
        assertThat(calls.violations()).isZero();
        assertThat(calls.rollbacks()).isZero();
    }

    @Test
    void eachTransactionIsLoggedInTheDurableObjectStore() throws Exception {
        assertThat(result.storeDir()).isEqualTo(storeDir.toAbsolutePath());
        // Narayana creates the AtomicAction directory when it writes the first transaction's log
        // record there, and deletes each record once its transaction is complete.
        Path atomicActions = storeDir.resolve(
                "ShadowNoFileLockStore/defaultStore/StateManager/BasicAction/TwoPhaseCoordinator/AtomicAction");
        assertThat(atomicActions).isDirectory();
        try (Stream<Path> left = Files.list(atomicActions)) {
            assertThat(left).as("log records of completed transactions").isEmpty();
        }
    }

    @Test
    void jsonHasTheDocumentedFields() throws Exception {
        JsonNode json = new ObjectMapper().readTree(result.toJson());

        assertThat(json.fieldNames()).toIterable().containsExactlyElementsOf(List.of("system", "version",
                "concurrency", "durationSeconds", "committed", "committedPerSec", "p50Ms", "p90Ms", "p99Ms",
                "p999Ms", "maxMs"));
        assertThat(json.get("system").asText()).isEqualTo("narayana");
        assertThat(json.get("version").asText()).matches("7\\.\\d+\\.\\d+\\.Final");
        assertThat(json.get("concurrency").asInt()).isEqualTo(2);
        assertThat(json.get("committed").asLong()).isEqualTo(result.committed());
        assertThat(json.get("p50Ms").asDouble()).isPositive().isLessThanOrEqualTo(json.get("maxMs").asDouble());
    }
}
