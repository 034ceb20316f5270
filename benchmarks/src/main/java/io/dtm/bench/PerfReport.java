package io.dtm.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns the performance suite's {@code results.jsonl} (one object per measurement, with
 * {@code kind} = {@code dtm}, {@code log-only} or {@code narayana}, and {@code concurrency}) into a
 * Markdown table with the two ratios the suite exists for — full 2PC against the log's own limit,
 * and against Narayana at the same concurrency — and {@code latency.png}, each run's latency by
 * percentile.
 *
 * <pre>java -cp benchmarks/target/benchmarks-VERSION.jar:benchmarks/target/lib/* io.dtm.bench.PerfReport results.jsonl OUTDIR</pre>
 */
public final class PerfReport {
    private static final String[] PERCENTILES = {"p50", "p90", "p99", "p999", "max"};
    /** The plot's x axis: one evenly spaced tick per percentile, so p90 to p99.9 are one "nine" apart each. */
    static final List<String> PERCENTILE_LABELS = List.of("p50", "p90", "p99", "p99.9", "max");

    /** One concurrency's three measurements (any of them may be missing). */
    record Row(int concurrency, Run dtm, Run logOnly, Run narayana) {
        Double ratioToLog() {
            return dtm == null || logOnly == null || logOnly.perSecond() == 0 ? null : dtm.perSecond() / logOnly.perSecond();
        }

        Double ratioToNarayana() {
            return dtm == null || narayana == null || narayana.perSecond() == 0 ? null
                    : dtm.perSecond() / narayana.perSecond();
        }
    }

    /** Transactions a second and latency percentiles in ms, in the order of {@link #PERCENTILES}. */
    record Run(double perSecond, double[] latencyMs, long aborted) {
    }

    private PerfReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: PerfReport RESULTS.jsonl OUTDIR");
            System.exit(64);
        }
        List<Row> rows = rows(Files.readAllLines(Path.of(args[0])));
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        BitmapEncoder.saveBitmap(latencyChart(rows), out.resolve("latency.png").toString(),
                BitmapEncoder.BitmapFormat.PNG);
        System.out.print(table(rows));
    }

    /** Groups the measurements by concurrency; a later line of the same kind replaces an earlier one. */
    static List<Row> rows(List<String> lines) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<Integer, Map<String, Run>> byConcurrency = new TreeMap<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode r = json.readTree(line);
            String kind = r.path("kind").asText();
            Run run = switch (kind) {
                case "dtm" -> new Run(r.path("committedPerSecond").asDouble(), percentiles(r.path("latencyMs"), ""),
                        aborted(r.path("outcomes")));
                case "log-only" -> new Run(r.path("transactionsPerSecond").asDouble(),
                        percentiles(r.path("recordLatencyMs"), ""), 0);
                case "narayana" -> new Run(r.path("committedPerSec").asDouble(), percentiles(r, "Ms"), 0);
                default -> throw new IOException("unknown kind \"" + kind + "\" in: " + line);
            };
            byConcurrency.computeIfAbsent(r.path("concurrency").asInt(), c -> new TreeMap<>()).put(kind, run);
        }
        List<Row> rows = new ArrayList<>();
        byConcurrency.forEach((c, runs) -> rows.add(new Row(c, runs.get("dtm"), runs.get("log-only"),
                runs.get("narayana"))));
        return rows;
    }

    private static double[] percentiles(JsonNode node, String suffix) {
        double[] ms = new double[PERCENTILES.length];
        for (int i = 0; i < ms.length; i++) {
            ms[i] = node.path(PERCENTILES[i] + suffix).asDouble();
        }
        return ms;
    }

    private static long aborted(JsonNode outcomes) {
        long aborted = 0;
        for (var it = outcomes.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getKey().equals("COMMITTED")) {
                aborted += e.getValue().asLong();
            }
        }
        return aborted;
    }

    static String table(List<Row> rows) {
        StringBuilder t = new StringBuilder();
        t.append("| clients | dtm committed/s | p50 | p90 | p99 | p99.9 | max (ms) | not committed | log-only tx/s | dtm / log-only "
                + "| Narayana tx/s | dtm / Narayana |\n");
        t.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            t.append("| ").append(r.concurrency()).append(" | ");
            if (r.dtm() != null) {
                t.append(String.format(Locale.ROOT, "%,.0f", r.dtm().perSecond()));
                for (double ms : r.dtm().latencyMs()) {
                    t.append(" | ").append(String.format(Locale.ROOT, "%.1f", ms));
                }
                t.append(" | ").append(r.dtm().aborted());
            } else {
                t.append("– | – | – | – | – | – | –");
            }
            t.append(" | ").append(r.logOnly() == null ? "–" : String.format(Locale.ROOT, "%,.0f", r.logOnly().perSecond()));
            t.append(" | ").append(ratio(r.ratioToLog()));
            t.append(" | ").append(r.narayana() == null ? "–"
                    : String.format(Locale.ROOT, "%,.0f", r.narayana().perSecond()));
            t.append(" | ").append(ratio(r.ratioToNarayana())).append(" |\n");
        }
        return t.toString();
    }

    private static String ratio(Double ratio) {
        return ratio == null ? "–" : String.format(Locale.ROOT, "%.2f", ratio);
    }

    /**
     * Each run's latency at p50, p90, p99, p99.9 and max, on a log scale; the legend sits outside
     * the plot, where it hides no point.
     */
    static CategoryChart latencyChart(List<Row> rows) {
        CategoryChart chart = new CategoryChartBuilder().width(1000).height(520)
                .title("Latency by percentile (dtm: solid, Narayana: dashed)")
                .xAxisTitle("percentile").yAxisTitle("ms (log scale)").build();
        chart.getStyler().setDefaultSeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Line)
                .setOverlapped(true).setYAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.OutsideE);
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            Color color = COLORS[i % COLORS.length];
            add(chart, "dtm, " + r.concurrency() + " clients", r.dtm(), false, color);
            add(chart, "Narayana, " + r.concurrency() + " threads", r.narayana(), true, color);
        }
        return chart;
    }

    /** One colour per concurrency, shared by its two lines. */
    private static final Color[] COLORS = {new Color(0x1565c0), new Color(0x2e7d32), new Color(0xc62828),
        new Color(0x6a1b9a), new Color(0xef6c00)};

    private static void add(CategoryChart chart, String name, Run run, boolean dashed, Color color) {
        if (run == null) {
            return;
        }
        List<Double> y = new ArrayList<>();
        for (double ms : run.latencyMs()) {
            y.add(Math.max(0.01, ms)); // a log axis has no 0
        }
        CategorySeries series = chart.addSeries(name, PERCENTILE_LABELS, y);
        series.setMarker(SeriesMarkers.CIRCLE);
        series.setLineColor(color);
        series.setMarkerColor(color);
        if (dashed) {
            series.setLineStyle(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                    new float[] {6f, 4f}, 0f));
        }
    }
}
