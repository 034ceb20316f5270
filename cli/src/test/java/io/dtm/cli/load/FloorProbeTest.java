package io.dtm.cli.load;

import io.dtm.cli.load.LatencyFloor.Piece;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The probe's parts that need no cluster: the fsync piece, and how a piece is sampled and fails. */
class FloorProbeTest {
    @TempDir
    Path tmp;

    @Test
    void fsyncIsMeasuredInTheDataDirectoryAndLeavesNothingBehind() throws IOException {
        FloorProbe.Fsync fsync = FloorProbe.fsync(tmp, Duration.ofMillis(200));

        assertThat(fsync.piece().measured()).as(fsync.piece().unmeasured()).isTrue();
        assertThat(fsync.piece().p50Ms()).isPositive();
        assertThat(fsync.piece().p99Ms()).isGreaterThanOrEqualTo(fsync.piece().p50Ms());
        assertThat(fsync.dir()).isEqualTo(tmp.toAbsolutePath().normalize().toString());
        assertThat(fsync.note()).isNull();
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void fsyncFallsBackToTheSystemTemporaryDirectoryAndSaysWhy() {
        Path missing = tmp.resolve("elsewhere/data");

        FloorProbe.Fsync fsync = FloorProbe.fsync(missing, Duration.ofMillis(50));

        assertThat(fsync.piece().measured()).isTrue();
        assertThat(fsync.dir()).isEqualTo(Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().toString());
        assertThat(fsync.note()).isEqualTo("the cluster's data directory " + missing + " is not on this machine");
    }

    @Test
    void samplingLeavesOutTheFirstRequestsAndStopsAtTheLargestNumberOfSamplesWhateverTheTimeLeft() {
        int[] calls = {0};
        Piece piece = FloorProbe.sample(Duration.ofHours(1), 10, micros -> {
            micros.recordValue(++calls[0] <= 5 ? 9_000 : 250);
            return CompletableFuture.completedFuture(null);
        });

        assertThat(calls[0]).as("5 not counted, then 10 samples").isEqualTo(15);
        assertThat(piece.measured()).isTrue();
        assertThat(piece.p99Ms()).as("none of the first, slow ones").isEqualTo(0.25);
    }

    @Test
    void eachRoundStartsWhenTheOneBeforeCompletesWhicheverThreadCompletesIt() {
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            int[] calls = {0};
            Piece piece = FloorProbe.sample(Duration.ofHours(1), 10, micros -> CompletableFuture.runAsync(() -> {
                calls[0]++;
                micros.recordValue(400);
            }, other));

            assertThat(calls[0]).isEqualTo(15);
            assertThat(piece.p50Ms()).isEqualTo(0.4);
        } finally {
            other.shutdownNow();
        }
    }

    @Test
    void aRequestThatFailsLaterEndsThePieceToo() {
        Piece piece = FloorProbe.sample(Duration.ofHours(1), 10, micros -> CompletableFuture.failedFuture(
                new java.util.concurrent.TimeoutException("no answer within 5000 ms")));

        assertThat(piece.unmeasured()).isEqualTo("no answer within 5000 ms");
    }

    @Test
    void aFailingRequestMakesThePieceUnmeasuredWithTheReasonNeverZero() {
        int[] calls = {0};
        Piece piece = FloorProbe.sample(Duration.ofHours(1), 10, micros -> {
            if (++calls[0] > 8) {
                throw new java.util.concurrent.ExecutionException(new java.net.ConnectException("Connection refused"));
            }
            micros.recordValue(100);
            return CompletableFuture.completedFuture(null);
        });

        assertThat(piece.measured()).isFalse();
        assertThat(piece.unmeasured()).isEqualTo("Connection refused (after 3 samples)");
        assertThat(piece.p50Ms()).isNaN();
    }
}
