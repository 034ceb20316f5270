package io.dtm.cli.command;

import io.dtm.cli.Json;
import io.dtm.cli.load.PerSecondCounter.Window;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The windows as {@code dtm bench} prints them, in JSON and for people. */
class BenchReportTest {
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
