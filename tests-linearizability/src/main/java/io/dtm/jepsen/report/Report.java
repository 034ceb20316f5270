package io.dtm.jepsen.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.dtm.jepsen.check.Analysis;
import io.dtm.jepsen.check.CheckResult;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The human side of a run: {@code latency.png} (every submit's latency over time, by how it
 * ended), {@code rate.png} (completions a second, by how they ended), {@code timeline.png} (every
 * operation per process, see {@link Timeline}), all with the nemesis periods shaded, and a
 * self-contained {@code report.html} with the verdict, each checker's findings, the plots and the
 * table of faults.
 */
public final class Report {
    private static final Color OK = new Color(0x2e7d32);
    private static final Color FAIL = new Color(0xc62828);
    private static final Color INFO = new Color(0xef6c00);
    private static final Color SHADE = new Color(255, 193, 7, 70);

    /** A fault's period: from its start op to its stop op (or the heal), in seconds since the start. */
    record Period(String name, double from, double to, Object value) {
    }

    private Report() {
    }

    public static void write(Path dir, List<Op> history, Analysis analysis, Map<String, Object> results)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Period> periods = periods(history);
        byte[] latency = png(latencyChart(history, periods));
        byte[] rate = png(rateChart(history, periods));
        Files.write(dir.resolve("latency.png"), latency);
        byte[] timeline = Timeline.png(history, periods, Map.of(OpType.OK, OK, OpType.FAIL, FAIL, OpType.INFO, INFO));
        Files.write(dir.resolve("rate.png"), rate);
        Files.write(dir.resolve("timeline.png"), timeline);
        Files.writeString(dir.resolve("report.html"), html(analysis, results, periods, latency, rate, timeline),
                StandardCharsets.UTF_8);
    }

    /**
     * Each fault from its {@code start-X} op to its {@code stop-X} op (or the final heal). A nemesis
     * op is two lines, as in Jepsen: the first when it begins, the second with what it did.
     */
    static List<Period> periods(List<Op> history) {
        List<Period> periods = new ArrayList<>();
        Map<String, Double> since = new LinkedHashMap<>();
        Map<String, Object> what = new HashMap<>();
        for (Op op : history) {
            if (!op.isNemesis()) {
                continue;
            }
            String f = op.f();
            if (f.startsWith("start-")) {
                String name = f.substring(6);
                since.putIfAbsent(name, seconds(op));
                if (op.value() != null) {
                    what.put(name, op.value());
                }
            } else if (f.startsWith("stop-") || f.equals("heal")) {
                List<String> names = f.equals("heal") ? List.copyOf(since.keySet()) : List.of(f.substring(5));
                for (String name : names) {
                    Double from = since.remove(name);
                    if (from != null) {
                        periods.add(new Period(name, from, seconds(op), what.remove(name)));
                    }
                }
            }
        }
        double end = history.isEmpty() ? 0 : seconds(history.get(history.size() - 1));
        since.forEach((name, from) -> periods.add(new Period(name, from, end, what.get(name))));
        periods.sort((x, y) -> Double.compare(x.from(), y.from()));
        return periods;
    }

    private static XYChart latencyChart(List<Op> history, List<Period> periods) {
        XYChart chart = new XYChartBuilder().width(1000).height(450).title("Latency of each submit")
                .xAxisTitle("seconds since the start").yAxisTitle("ms").build();
        chart.getStyler().setYAxisLogarithmic(true).setMarkerSize(3).setLegendPosition(
                org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        Map<OpType, List<double[]>> points = new LinkedHashMap<>();
        Map<Integer, Op> open = new HashMap<>();
        for (Op op : history) {
            if (op.isNemesis() || !(op.f().equals("submit") || op.f().equals("probe"))) {
                continue;
            }
            if (op.isInvoke()) {
                open.put(op.process(), op);
            } else {
                Op invoke = open.remove(op.process());
                if (invoke != null) {
                    points.computeIfAbsent(op.type(), t -> new ArrayList<>())
                            .add(new double[] {seconds(invoke), Math.max(0.1, (op.time() - invoke.time()) / 1e6)});
                }
            }
        }
        double max = points.values().stream().flatMap(List::stream).mapToDouble(p -> p[1]).max().orElse(1);
        shade(chart, periods, 0.1, max, history);
        for (Map.Entry<OpType, List<double[]>> e : points.entrySet()) {
            XYSeries s = chart.addSeries(e.getKey().wire(), e.getValue().stream().mapToDouble(p -> p[0]).toArray(),
                    e.getValue().stream().mapToDouble(p -> p[1]).toArray());
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(color(e.getKey()));
        }
        return chart;
    }

    private static XYChart rateChart(List<Op> history, List<Period> periods) {
        XYChart chart = new XYChartBuilder().width(1000).height(350).title("Completed operations a second")
                .xAxisTitle("seconds since the start").yAxisTitle("ops/s").build();
        chart.getStyler().setMarkerSize(0).setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        Map<OpType, TreeMap<Integer, Integer>> perSecond = new LinkedHashMap<>();
        int last = 0;
        for (Op op : history) {
            if (!op.isNemesis() && !op.isInvoke()) {
                int second = (int) seconds(op);
                last = Math.max(last, second);
                perSecond.computeIfAbsent(op.type(), t -> new TreeMap<>()).merge(second, 1, Integer::sum);
            }
        }
        double max = perSecond.values().stream().flatMap(m -> m.values().stream()).mapToInt(i -> i).max().orElse(1);
        shade(chart, periods, 0, max, history);
        for (OpType type : List.of(OpType.OK, OpType.FAIL, OpType.INFO)) {
            TreeMap<Integer, Integer> counts = perSecond.getOrDefault(type, new TreeMap<>());
            double[] x = new double[last + 1];
            double[] y = new double[last + 1];
            for (int s = 0; s <= last; s++) {
                x[s] = s;
                y[s] = counts.getOrDefault(s, 0);
            }
            XYSeries series = chart.addSeries(type.wire(), x, y);
            series.setMarker(SeriesMarkers.NONE);
            series.setLineColor(color(type));
        }
        return chart;
    }

    /** The nemesis periods as a translucent area from {@code low} to {@code high}. */
    private static void shade(XYChart chart, List<Period> periods, double low, double high, List<Op> history) {
        if (periods.isEmpty()) {
            return;
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        x.add(0.0);
        y.add(low);
        for (Period p : periods) {
            x.add(p.from());
            y.add(low);
            x.add(p.from());
            y.add(high);
            x.add(p.to());
            y.add(high);
            x.add(p.to());
            y.add(low);
        }
        XYSeries s = chart.addSeries("faults", x.stream().mapToDouble(Double::doubleValue).toArray(),
                y.stream().mapToDouble(Double::doubleValue).toArray());
        s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
        s.setMarker(SeriesMarkers.NONE);
        s.setFillColor(SHADE);
        s.setLineColor(SHADE);
    }

    private static Color color(OpType type) {
        return switch (type) {
            case OK -> OK;
            case FAIL -> FAIL;
            default -> INFO;
        };
    }

    private static byte[] png(XYChart chart) throws IOException {
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static double seconds(Op op) {
        return op.time() / 1e9;
    }

    // ------------------------------------------------------------------ html

    private static String html(Analysis analysis, Map<String, Object> results, List<Period> periods, byte[] latency,
            byte[] rate, byte[] timeline) throws IOException {
        StringBuilder h = new StringBuilder();
        String verdict = analysis.verdict().wire();
        h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>DTM Jepsen-style test: ")
                .append(verdict).append("</title><style>")
                .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
                .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
                        + "vertical-align:top}")
                .append(".valid{color:#2e7d32}.invalid{color:#c62828}.unknown{color:#ef6c00}")
                .append("pre{background:#f6f6f6;padding:8px;overflow:auto}</style></head><body>");
        h.append("<h1>Result: <span class=\"").append(verdict).append("\">").append(verdict).append("</span></h1>");
        h.append("<p>Nemeses: ").append(esc(String.valueOf(results.get("nemeses")))).append("; network: ")
                .append(esc(String.valueOf(results.get("network")))).append("; recovery after the heal: ")
                .append(esc(String.valueOf(results.get("recoveryMs")))).append(" ms; options: ")
                .append(esc(String.valueOf(results.get("options")))).append("</p>");
        Object skipped = results.get("skipped");
        if (skipped instanceof Map<?, ?> m && !m.isEmpty()) {
            h.append("<p class=\"unknown\">Skipped (not passed): ").append(esc(m.toString())).append("</p>");
        }
        h.append("<h2>Operations</h2><table><tr><th>operation</th><th>ok</th><th>fail</th><th>info</th></tr>");
        analysis.counts().forEach((f, c) -> h.append("<tr><td>").append(esc(f)).append("</td><td>").append(c.get("ok"))
                .append("</td><td>").append(c.get("fail")).append("</td><td>").append(c.get("info")).append("</td></tr>"));
        h.append("</table><h2>Checkers</h2><table><tr><th>checker</th><th>result</th><th>details</th><th>problems</th></tr>");
        for (CheckResult r : analysis.results()) {
            h.append("<tr><td>").append(esc(r.checker())).append("</td><td class=\"").append(r.verdict().wire())
                    .append("\">").append(r.verdict().wire()).append("</td><td>").append(esc(String.valueOf(r.details())))
                    .append("</td><td>");
            if (r.problemCount() > 0 || !r.problems().isEmpty()) {
                h.append(r.problemCount()).append(" problem(s)<pre>")
                        .append(esc(String.join("\n", r.problems()))).append("</pre>");
            }
            h.append("</td></tr>");
        }
        h.append("</table><h2>Latency</h2><img alt=\"latency\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(latency)).append("\">");
        h.append("<h2>Rate</h2><img alt=\"rate\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(rate)).append("\">");
        h.append("<h2>Timeline</h2><p>One lane per client process; each operation a bar from invocation to "
                + "completion (green ok, red fail, orange info); faults shaded.</p><img alt=\"timeline\" "
                + "src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(timeline)).append("\">");
        h.append("<h2>Faults</h2><table><tr><th>from (s)</th><th>to (s)</th><th>nemesis</th><th>what</th></tr>");
        for (Period p : periods) {
            h.append("<tr><td>").append(String.format("%.1f", p.from())).append("</td><td>")
                    .append(String.format("%.1f", p.to())).append("</td><td>").append(esc(p.name())).append("</td><td>")
                    .append(esc(String.valueOf(p.value()))).append("</td></tr>");
        }
        h.append("</table><h2>results.json</h2><pre>")
                .append(esc(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(results)))
                .append("</pre></body></html>\n");
        return h.toString();
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
