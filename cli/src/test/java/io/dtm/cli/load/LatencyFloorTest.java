package io.dtm.cli.load;

import io.dtm.cli.load.LatencyFloor.Piece;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** How the floor adds up from its pieces, and what it says when a piece is missing. */
class LatencyFloorTest {
    private static final Piece FSYNC = new Piece(0.13, 0.40, null);
    private static final Piece ROUND_TRIP = new Piece(0.10, 0.30, null);
    private static final Piece LOG_APPEND = new Piece(1.30, 2.10, null);

    private static LatencyFloor floor(Map<String, Piece> prepare, boolean onePhase) {
        return new LatencyFloor(FSYNC, "/data", null, ROUND_TRIP, LOG_APPEND, prepare, onePhase);
    }

    private static Map<String, Piece> prepares(Object... serviceAndP50) {
        Map<String, Piece> m = new LinkedHashMap<>();
        for (int i = 0; i < serviceAndP50.length; i += 2) {
            Object v = serviceAndP50[i + 1];
            m.put((String) serviceAndP50[i], v instanceof String why ? Piece.unmeasured(why)
                    : new Piece((Double) v, (Double) v * 2, null));
        }
        return m;
    }

    @Test
    void twoPhaseWaitsForTheSlowerOfBeginAndTheSlowestPrepareThenDecideThenTheReply() {
        LatencyFloor fastServices = floor(prepares("inventory", 0.45, "payment", 0.60, "order", 0.50), false);
        assertThat(fastServices.slowestPrepare()).get().extracting(Map.Entry::getKey).isEqualTo("payment");
        // Begin (1.30) outlasts every PREPARE: Begin + Decide + reply.
        assertThat(fastServices.floorMs().getAsDouble()).isCloseTo(1.30 + 1.30 + 0.10, within(1e-9));
        assertThat(fastServices.path()).isEqualTo("max(Begin, PREPARE) + Decide + reply");

        LatencyFloor slowService = floor(prepares("inventory", 0.45, "shipping", 2.00), false);
        assertThat(slowService.floorMs().getAsDouble()).isCloseTo(2.00 + 1.30 + 0.10, within(1e-9));
    }

    @Test
    void onePhaseSendsItsPrepareOnlyOnceBeginIsLoggedSoTheyAddUp() {
        LatencyFloor one = floor(prepares("payment", 0.60), true);
        assertThat(one.floorMs().getAsDouble()).isCloseTo(1.30 + 0.60 + 1.30 + 0.10, within(1e-9));
        assertThat(one.path()).isEqualTo("Begin + PREPARE + Decide + reply");
    }

    @Test
    void theRunsP50IsGivenOverTheFloor() {
        LatencyFloor f = floor(prepares("inventory", 0.45), false);
        assertThat(f.over(5.4).getAsDouble()).isCloseTo(5.4 / 2.7, within(1e-9));
    }

    @Test
    void aPieceThatCouldNotBeMeasuredLeavesNoFloorAndSaysWhichPieceIsMissing() {
        LatencyFloor serviceDown = floor(prepares("inventory", 0.45, "payment", "Connection refused"), false);
        assertThat(serviceDown.hasFloor()).isTrue();
        assertThat(serviceDown.floorMs()).isEmpty();
        assertThat(serviceDown.over(5.0)).isEmpty();
        assertThat(serviceDown.floorUnmeasured()).isEqualTo("no PREPARE of [payment]");

        LatencyFloor noLog = new LatencyFloor(FSYNC, "/data", null, ROUND_TRIP, Piece.unmeasured("no leader"),
                prepares("inventory", 0.45), false);
        assertThat(noLog.floorMs()).isEmpty();
        assertThat(noLog.floorUnmeasured()).isEqualTo("no log append");
    }

    @Test
    void loadsThatProbeOnlySomePiecesHaveNoFloorToSpeakOf() {
        LatencyFloor logOnly = new LatencyFloor(FSYNC, "/data", null, ROUND_TRIP, LOG_APPEND, Map.of(), false);
        LatencyFloor participant = new LatencyFloor(FSYNC, "/data", null, null, null, prepares("inventory", 0.45), false);
        for (LatencyFloor f : new LatencyFloor[] {logOnly, participant}) {
            assertThat(f.hasFloor()).isFalse();
            assertThat(f.floorMs()).isEmpty();
            assertThat(f.floorUnmeasured()).isNull();
        }
    }

    @Test
    void aPieceIsItsHistogramsP50AndP99InMillisecondsAndNeverZeroWhenEmpty() {
        Histogram micros = new Histogram(3);
        for (int i = 1; i <= 100; i++) {
            micros.recordValue(i * 10L); // 10 µs .. 1,000 µs
        }
        Piece piece = Piece.of(micros);
        assertThat(piece.measured()).isTrue();
        assertThat(piece.p50Ms()).isCloseTo(0.50, within(0.001));
        assertThat(piece.p99Ms()).isCloseTo(0.99, within(0.001));

        Piece none = Piece.of(new Histogram(3));
        assertThat(none.measured()).isFalse();
        assertThat(none.p50Ms()).isNaN();
        assertThat(none.unmeasured()).isEqualTo("no sample in the time given");
    }
}
