package io.dtm.cli.command;

import io.dtm.cli.load.LatencyFloor;
import io.dtm.cli.load.LatencyFloor.Piece;
import io.dtm.cli.load.PerSecondCounter;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** The parts of {@code dtm bench}'s output that every load shares: the latency floor and the 10-second windows. */
final class BenchReport {
    private BenchReport() {
    }

    /**
     * {@code floor} in JSON: each piece {"p50","p99"} in ms, or with both null and "unmeasured" saying
     * why; only the pieces this kind of run probes. {@code runP50Ms}: the two-phase-commit run's
     * p50, for {@code p50OverFloor}; null for the other loads.
     */
    static Map<String, Object> floorJson(LatencyFloor floor, Double runP50Ms) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("fsyncMs", pieceJson(floor.fsync()));
        o.put("fsyncDir", floor.fsyncDir());
        if (floor.fsyncNote() != null) {
            o.put("fsyncDirNote", floor.fsyncNote());
        }
        if (floor.roundTrip() != null) {
            o.put("roundTripMs", pieceJson(floor.roundTrip()));
        }
        if (floor.logAppend() != null) {
            o.put("logAppendMs", pieceJson(floor.logAppend()));
        }
        if (!floor.prepare().isEmpty()) {
            Map<String, Object> prepare = new LinkedHashMap<>();
            floor.prepare().forEach((service, piece) -> prepare.put(service, pieceJson(piece)));
            o.put("prepareMs", prepare);
        }
        if (floor.hasFloor()) {
            OptionalDouble ms = floor.floorMs();
            o.put("floorMs", ms.isPresent() ? ms.getAsDouble() : null);
            o.put("floorPath", floor.path());
            if (ms.isEmpty()) {
                o.put("floorUnmeasured", floor.floorUnmeasured());
            }
            if (runP50Ms != null) {
                OptionalDouble over = floor.over(runP50Ms);
                o.put("p50OverFloor", over.isPresent() ? over.getAsDouble() : null);
            }
        }
        return o;
    }

    private static Map<String, Object> pieceJson(Piece piece) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("p50", piece.measured() ? piece.p50Ms() : null);
        o.put("p99", piece.measured() ? piece.p99Ms() : null);
        if (!piece.measured()) {
            o.put("unmeasured", piece.unmeasured());
        }
        return o;
    }

    /** The floor as a short block of the human output; {@code runP50Ms} as for {@link #floorJson}. */
    static void printFloor(PrintWriter out, LatencyFloor floor, Double runP50Ms) {
        List<String> pieces = new ArrayList<>();
        pieces.add("fsync " + piece(floor.fsync()) + (floor.fsyncNote() == null ? ""
                : " (in " + floor.fsyncDir() + ": " + floor.fsyncNote() + ")"));
        if (floor.roundTrip() != null) {
            pieces.add("round trip " + piece(floor.roundTrip()));
        }
        if (floor.logAppend() != null) {
            pieces.add("log append " + piece(floor.logAppend()));
        }
        out.println("  latency floor (one at a time, p50 / p99): " + String.join(", ", pieces));
        if (!floor.prepare().isEmpty()) {
            List<String> prepares = new ArrayList<>();
            floor.prepare().forEach((service, piece) -> prepares.add(service + " " + piece(piece)));
            out.println("                PREPARE " + String.join(", ", prepares));
        }
        if (floor.hasFloor()) {
            OptionalDouble ms = floor.floorMs();
            if (ms.isEmpty()) {
                out.printf("                floor %s not known: %s%n", floor.path(), floor.floorUnmeasured());
            } else if (runP50Ms == null) {
                out.printf("                floor %s = %.2f ms%n", floor.path(), ms.getAsDouble());
            } else {
                double over = floor.over(runP50Ms).orElse(Double.NaN);
                // Below 1 the floor is no floor: its pieces came out slower alone than the whole run did
                // (a busy machine, or a piece that takes a path the run does not: the probe's log append
                // goes through a Raft client, the leader's appends do not).
                out.printf("                floor %s = %.2f ms; this run's p50 is %.2f x the floor%s%n", floor.path(),
                        ms.getAsDouble(), over, over < 1 ? " (below 1: the pieces, measured alone, came out slower "
                                + "than the run)" : "");
            }
        }
    }

    private static String piece(Piece piece) {
        return piece.measured() ? String.format("%.2f / %.2f ms", piece.p50Ms(), piece.p99Ms())
                : "not measured (" + piece.unmeasured() + ")";
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
