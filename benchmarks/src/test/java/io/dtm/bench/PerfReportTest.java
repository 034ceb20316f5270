package io.dtm.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PerfReportTest {
    private static final List<String> RESULTS = List.of(
            "{\"kind\":\"dtm\",\"concurrency\":64,\"committedPerSecond\":2000.0,\"outcomes\":{\"COMMITTED\":60000,"
                    + "\"ABORTED payment: LOCKED\":7},\"latencyMs\":{\"p50\":30,\"p90\":50,\"p99\":90,\"p999\":200,\"max\":300}}",
            "{\"kind\":\"log-only\",\"concurrency\":64,\"transactionsPerSecond\":5000.0,"
                    + "\"recordLatencyMs\":{\"p50\":4,\"p90\":8,\"p99\":12,\"p999\":20,\"max\":30}}",
            "{\"kind\":\"narayana\",\"concurrency\":64,\"committedPerSec\":8000.0,\"p50Ms\":7,\"p90Ms\":13,\"p99Ms\":18,"
                    + "\"p999Ms\":77,\"maxMs\":95}",
            "{\"kind\":\"dtm\",\"concurrency\":1,\"committedPerSecond\":100.0,\"outcomes\":{\"COMMITTED\":3000},"
                    + "\"latencyMs\":{\"p50\":9,\"p90\":11,\"p99\":15,\"p999\":30,\"max\":40}}");

    @Test
    void rowsPairTheThreeKindsByConcurrencyAndComputeBothRatios() throws Exception {
        List<PerfReport.Row> rows = PerfReport.rows(RESULTS);

        assertThat(rows).extracting(PerfReport.Row::concurrency).containsExactly(1, 64);
        PerfReport.Row r64 = rows.get(1);
        assertThat(r64.ratioToLog()).isCloseTo(0.4, within(1e-9));
        assertThat(r64.ratioToNarayana()).isCloseTo(0.25, within(1e-9));
        assertThat(r64.dtm().aborted()).isEqualTo(7);
        assertThat(r64.narayana().latencyMs()).containsExactly(7, 13, 18, 77, 95);
        assertThat(rows.get(0).ratioToNarayana()).as("no baseline measured at 1").isNull();
    }

    @Test
    void theTableHasOneLinePerConcurrencyWithDashesForWhatWasNotMeasured() throws Exception {
        String table = PerfReport.table(PerfReport.rows(RESULTS));

        assertThat(table.lines()).hasSize(4);
        assertThat(table).contains("| 64 | 2,000 | 30.0 | 50.0 | 90.0 | 200.0 | 300.0 | 7 | 5,000 | 0.40 | 8,000 | 0.25 |")
                .contains("| 1 | 100 | 9.0 | 11.0 | 15.0 | 30.0 | 40.0 | 0 | – | – | – | – |");
    }

    @Test
    void thePlotHasOneSeriesPerMeasuredRunOverTheFivePercentilesInOrder() throws Exception {
        var chart = PerfReport.latencyChart(PerfReport.rows(RESULTS));

        assertThat(chart.getSeriesMap()).containsOnlyKeys("dtm, 1 clients", "dtm, 64 clients", "Narayana, 64 threads");
        var dtm64 = chart.getSeriesMap().get("dtm, 64 clients");
        assertThat(dtm64.getXData().stream().map(Object::toString).toList())
                .containsExactly("p50", "p90", "p99", "p99.9", "max");
        assertThat(ms(dtm64.getYData())).containsExactly(30.0, 50.0, 90.0, 200.0, 300.0);
        assertThat(ms(chart.getSeriesMap().get("Narayana, 64 threads").getYData()))
                .containsExactly(7.0, 13.0, 18.0, 77.0, 95.0);
    }

    private static List<Double> ms(java.util.Collection<? extends Number> values) {
        return values.stream().map(Number::doubleValue).toList();
    }

    @Test
    void anUnknownKindIsAnErrorNamingTheLine() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PerfReport.rows(List.of("{\"kind\":\"xa\"}")))
                .hasMessageContaining("unknown kind \"xa\"");
    }
}
