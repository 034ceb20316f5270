package io.dtm.cli.command;

import io.dtm.cli.Json;
import io.dtm.cli.load.LatencyFloor;
import io.dtm.cli.load.LatencyFloor.Piece;
import io.dtm.cli.load.PerSecondCounter.Window;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The floor and the windows as {@code dtm bench} prints them, in JSON and for people. */
class BenchReportTest {
    private static final Piece FSYNC = new Piece(0.13, 0.40, null);

    private static LatencyFloor twoPhase(Piece payment) {
        Map<String, Piece> prepare = new LinkedHashMap<>();
        prepare.put("inventory", new Piece(0.45, 0.90, null));
        prepare.put("payment", payment);
        return new LatencyFloor(FSYNC, "/c/data", null, new Piece(0.10, 0.30, null), new Piece(1.25, 2.00, null),
                prepare, false);
    }

    @Test
    void theFloorInJsonHasEveryPieceAsP50AndP99AndTheRunsP50OverIt() {
        String json = Json.write(BenchReport.floorJson(twoPhase(new Piece(0.50, 1.00, null)), 5.2));

        assertThat(json).isEqualTo("{\"fsyncMs\":{\"p50\":0.13,\"p99\":0.4},\"fsyncDir\":\"/c/data\","
                + "\"roundTripMs\":{\"p50\":0.1,\"p99\":0.3},\"logAppendMs\":{\"p50\":1.25,\"p99\":2.0},"
                + "\"prepareMs\":{\"inventory\":{\"p50\":0.45,\"p99\":0.9},\"payment\":{\"p50\":0.5,\"p99\":1.0}},"
                + "\"floorMs\":2.6,\"floorPath\":\"max(Begin, PREPARE) + Decide + reply\",\"p50OverFloor\":2.0}");
    }

    @Test
    void anUnmeasuredPieceIsNullWithItsReasonAndLeavesTheFloorUnknownNotZero() {
        LatencyFloor floor = twoPhase(Piece.unmeasured("payment at 127.0.0.1:7402: Connection refused"));

        Map<String, Object> json = BenchReport.floorJson(floor, 5.2);
        assertThat(Json.write(json)).contains("\"payment\":{\"p50\":null,\"p99\":null,"
                + "\"unmeasured\":\"payment at 127.0.0.1:7402: Connection refused\"}")
                .contains("\"floorMs\":null").contains("\"floorUnmeasured\":\"no PREPARE of [payment]\"")
                .contains("\"p50OverFloor\":null");

        StringWriter out = new StringWriter();
        BenchReport.printFloor(new PrintWriter(out, true), floor, 5.2);
        assertThat(out.toString()).contains("payment not measured (payment at 127.0.0.1:7402: Connection refused)")
                .contains("floor max(Begin, PREPARE) + Decide + reply not known: no PREPARE of [payment]");
    }

    @Test
    void theFloorForPeopleIsAShortBlock() {
        StringWriter out = new StringWriter();
        BenchReport.printFloor(new PrintWriter(out, true), twoPhase(new Piece(0.50, 1.00, null)), 5.2);

        assertThat(out.toString()).isEqualTo(String.join(System.lineSeparator(),
                "  latency floor (one at a time, p50 / p99): fsync 0.13 / 0.40 ms, round trip 0.10 / 0.30 ms, "
                        + "log append 1.25 / 2.00 ms",
                "                PREPARE inventory 0.45 / 0.90 ms, payment 0.50 / 1.00 ms",
                "                floor max(Begin, PREPARE) + Decide + reply = 2.60 ms; this run's p50 is 2.00 x the floor",
                ""));
    }

    @Test
    void aRunFasterThanItsFloorIsSaidToBeSo() {
        StringWriter out = new StringWriter();
        BenchReport.printFloor(new PrintWriter(out, true), twoPhase(new Piece(0.50, 1.00, null)), 1.3);

        assertThat(out.toString()).contains("this run's p50 is 0.50 x the floor (below 1: the pieces, measured alone, "
                + "came out slower than the run)");
    }

    @Test
    void aLoadWithoutAFloorListsOnlyWhatItProbedAndSaysWhereAnFsyncFellBack() {
        LatencyFloor participant = new LatencyFloor(FSYNC, "/tmp", "the cluster's data directory /x is not on this machine",
                null, null, Map.of("inventory", new Piece(0.45, 0.90, null)), false);

        assertThat(Json.write(BenchReport.floorJson(participant, null))).isEqualTo("{\"fsyncMs\":{\"p50\":0.13,"
                + "\"p99\":0.4},\"fsyncDir\":\"/tmp\",\"fsyncDirNote\":\"the cluster's data directory /x is not on this "
                + "machine\",\"prepareMs\":{\"inventory\":{\"p50\":0.45,\"p99\":0.9}}}");
        StringWriter out = new StringWriter();
        BenchReport.printFloor(new PrintWriter(out, true), participant, null);
        assertThat(out.toString()).startsWith("  latency floor (one at a time, p50 / p99): fsync 0.13 / 0.40 ms "
                + "(in /tmp: the cluster's data directory /x is not on this machine)")
                .doesNotContain("floor max");
    }

    @Test
    void windowsAreOneLineWithTheLastShorterOneMarkedAndHowManyAreWarmUp() {
        List<Window> windows = List.of(new Window(0, 10, 712.4, true), new Window(10, 20, 3_100, false),
                new Window(20, 27, 3_838.2, false));

        assertThat(Json.write(BenchReport.windowsJson(windows))).isEqualTo("[{\"fromSecond\":0,\"toSecond\":10,"
                + "\"perSecond\":712.4,\"warmup\":true},{\"fromSecond\":10,\"toSecond\":20,\"perSecond\":3100.0,"
                + "\"warmup\":false},{\"fromSecond\":20,\"toSecond\":27,\"perSecond\":3838.2,\"warmup\":false}]");
        StringWriter out = new StringWriter();
        BenchReport.printWindows(new PrintWriter(out, true), windows, "committed/s", "the first order");
        assertThat(out.toString()).isEqualTo("  each 10 s    712  3,100  3,838 (last 7 s) committed/s (from the first "
                + "order; the first 1 window(s) are warm-up)" + System.lineSeparator());

        out = new StringWriter();
        BenchReport.printWindows(new PrintWriter(out, true), List.of(), "prepares/s", "the first PREPARE");
        assertThat(out.toString()).contains("none: the load ran less than 5 s");
    }
}
