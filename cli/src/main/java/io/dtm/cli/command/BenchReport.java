package io.dtm.cli.command;

import io.dtm.cli.load.PerSecondCounter;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parts of {@code dtm bench}'s output that every load shares: the 10-second windows. */
final class BenchReport {
    private BenchReport() {
    }

    /** {@code windows} in JSON: [{"fromSecond","toSecond","perSecond","warmup"}, ...]. */
    static List<Map<String, Object>> windowsJson(List<PerSecondCounter.Window> windows) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (PerSecondCounter.Window w : windows) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("fromSecond", w.fromSecond());
            o.put("toSecond", w.toSecond());
            o.put("perSecond", w.perSecond());
            o.put("warmup", w.warmup());
            list.add(o);
        }
        return list;
    }

    /**
     * One line: the rate of each window, e.g. {@code each 10 s  712  3,100  3,838 committed/s (from
     * the first order; the first 1 window(s) are warm-up)}; a last, shorter window says its length.
     */
    static void printWindows(PrintWriter out, List<PerSecondCounter.Window> windows, String unit, String fromWhat) {
        if (windows.isEmpty()) {
            out.printf("  each %d s     none: the load ran less than %d s%n", PerSecondCounter.WINDOW_SECONDS,
                    PerSecondCounter.MIN_LAST_WINDOW_SECONDS);
            return;
        }
        StringBuilder line = new StringBuilder(String.format("  each %d s  ", PerSecondCounter.WINDOW_SECONDS));
        for (PerSecondCounter.Window w : windows) {
            line.append(String.format("  %,.0f", w.perSecond()));
            if (w.seconds() != PerSecondCounter.WINDOW_SECONDS) {
                line.append(" (last ").append(w.seconds()).append(" s)");
            }
        }
        long warm = windows.stream().filter(PerSecondCounter.Window::warmup).count();
        line.append(' ').append(unit).append(" (from ").append(fromWhat).append("; the first ").append(warm)
                .append(" window(s) are warm-up)");
        out.println(line);
    }
}
