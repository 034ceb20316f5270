package io.dtm.jepsen.report;

import io.dtm.jepsen.check.Analysis;
import io.dtm.jepsen.check.Observed;
import io.dtm.jepsen.check.Retention;
import io.dtm.jepsen.history.History;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ReportTest {
    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong();
    private final History history = new History(now::get, op -> { });

    private void at(double seconds) {
        now.set((long) (seconds * 1e9));
    }

    @Test
    void faultPeriodsRunFromStartToStopOrTheHeal() {
        at(1);
        Op kill = history.nemesis("start-kill-leader", null, null);
        at(1.2);
        history.complete(kill, OpType.INFO, Map.of("killed", List.of("n2")), null);
        at(6);
        history.complete(history.nemesis("stop-kill-leader", null, null), OpType.INFO, null, null);
        at(8);
        Op pause = history.nemesis("start-pause-leader", null, null);
        history.complete(pause, OpType.INFO, Map.of("paused", "n1"), null);
        at(12);
        history.complete(history.nemesis("heal", null, null), OpType.INFO, null, null);

        List<Report.Period> periods = Report.periods(history.ops());

        assertThat(periods).extracting(Report.Period::name, Report.Period::from, Report.Period::to).containsExactly(
                org.assertj.core.groups.Tuple.tuple("kill-leader", 1.0, 6.0),
                org.assertj.core.groups.Tuple.tuple("pause-leader", 8.0, 12.0));
        assertThat(periods.get(0).value()).isEqualTo(Map.of("killed", List.of("n2")));
    }

    @Test
    void theReportHoldsTheVerdictEachCheckerAndBothPlots() throws Exception {
        at(0.5);
        Op submit = history.invoke(0, "submit", Map.of("services", List.of("payment"), "units", 0, "cents", 10), null, "t1");
        at(0.6);
        history.complete(submit, OpType.OK, Map.of("status", "COMMITTED"), null);
        Analysis analysis = Analysis.of(history.ops(), new Observed(Map.of(), Map.of(), Map.of(), Map.of()),
                Set.of("n1"), new Retention(250_000, 3_600_000), () -> 0, Long.MAX_VALUE);

        Report.write(dir, history.ops(), analysis, Map.of("nemeses", List.of("kill-leader")));

        assertThat(dir.resolve("latency.png")).isNotEmptyFile();
        assertThat(dir.resolve("rate.png")).isNotEmptyFile();
        assertThat(dir.resolve("timeline.png")).isNotEmptyFile();
        String html = Files.readString(dir.resolve("report.html"));
        assertThat(html).contains("Result: <span class=\"" + analysis.verdict().wire())
                .contains("outcome-register").contains("conservation").contains("data:image/png;base64,")
                .contains("alt=\"timeline\"");
    }

    @Test
    void theTimelineHasOneSpanPerOperationAndRunsOpenOnesToTheEnd() {
        at(1);
        Op a = history.invoke(0, "submit", null, null, "t1");
        at(1.5);
        Op b = history.invoke(1, "read", null, "n2", "t1");
        at(2);
        history.complete(a, OpType.OK, Map.of("status", "COMMITTED"), null);
        Op kill = history.nemesis("start-kill-leader", null, null);
        history.complete(kill, OpType.INFO, null, null);
        at(3);
        Op c = history.invoke(0, "submit", null, null, "t2");
        at(4);
        history.complete(c, OpType.FAIL, null, "ABORTED");

        assertThat(Timeline.spans(history.ops())).containsExactlyInAnyOrder(
                new Timeline.Span(0, "submit", 1.0, 2.0, OpType.OK),
                new Timeline.Span(0, "submit", 3.0, 4.0, OpType.FAIL),
                new Timeline.Span(1, "read", 1.5, 4.0, OpType.INFO));
    }

    @Test
    void timelineTicksAreRoundAndAtMostTwelve() {
        assertThat(Timeline.niceStep(10)).isEqualTo(1);
        assertThat(Timeline.niceStep(60)).isEqualTo(5);
        assertThat(Timeline.niceStep(105)).isEqualTo(10);
        assertThat(Timeline.niceStep(3600)).isEqualTo(500);
    }
}
