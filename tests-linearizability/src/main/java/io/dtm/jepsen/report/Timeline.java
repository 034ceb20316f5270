package io.dtm.jepsen.report;

import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The timeline of a run, as Jepsen draws it: one lane per process, each operation a bar from its
 * invocation to its completion, coloured by how it ended (an operation still open at the end runs
 * to the end as {@code info}), and the nemesis periods shaded across every lane.
 */
final class Timeline {
    private static final int WIDTH = 1000;
    private static final int LANE = 14;
    private static final int LEFT = 80;
    private static final int TOP = 30;
    private static final int BOTTOM = 30;

    /** One operation from invocation to completion, in seconds since the start. */
    record Span(int process, String f, double from, double to, OpType type) {
    }

    private Timeline() {
    }

    /** Every client operation's span, in the order they completed (open ones last). */
    static List<Span> spans(List<Op> history) {
        List<Span> spans = new ArrayList<>();
        Map<Integer, Op> open = new HashMap<>();
        double end = history.isEmpty() ? 0 : history.get(history.size() - 1).time() / 1e9;
        for (Op op : history) {
            if (op.isNemesis()) {
                continue;
            }
            if (op.isInvoke()) {
                open.put(op.process(), op);
            } else {
                Op invoke = open.remove(op.process());
                if (invoke != null) {
                    spans.add(new Span(op.process(), op.f(), invoke.time() / 1e9, op.time() / 1e9, op.type()));
                }
            }
        }
        open.values().forEach(invoke -> spans.add(
                new Span(invoke.process(), invoke.f(), invoke.time() / 1e9, end, OpType.INFO)));
        return spans;
    }

    static byte[] png(List<Op> history, List<Report.Period> periods, Map<OpType, Color> colors) throws IOException {
        List<Span> spans = spans(history);
        TreeSet<Integer> processes = new TreeSet<>();
        spans.forEach(s -> processes.add(s.process()));
        Map<Integer, Integer> lane = new HashMap<>();
        for (int p : processes) {
            lane.put(p, lane.size());
        }
        double end = Math.max(1, spans.stream().mapToDouble(Span::to).max().orElse(1));
        for (Report.Period p : periods) {
            end = Math.max(end, p.to());
        }
        int height = TOP + Math.max(1, processes.size()) * LANE + BOTTOM;
        BufferedImage image = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, height);
            double scale = (WIDTH - LEFT - 20) / end;
            int bottom = TOP + processes.size() * LANE;
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (Report.Period p : periods) {
                int x0 = LEFT + (int) (p.from() * scale);
                int x1 = LEFT + (int) Math.ceil(p.to() * scale);
                g.setColor(new Color(255, 193, 7, 90));
                g.fillRect(x0, TOP - 12, Math.max(1, x1 - x0), bottom - TOP + 12);
                g.setColor(Color.DARK_GRAY);
                g.drawString(p.name(), x0 + 2, TOP - 2);
            }
            for (Span s : spans) {
                int y = TOP + lane.get(s.process()) * LANE + 2;
                int x0 = LEFT + (int) (s.from() * scale);
                int x1 = LEFT + (int) Math.ceil(s.to() * scale);
                g.setColor(colors.get(s.type()));
                g.fillRect(x0, y, Math.max(1, x1 - x0), LANE - 4);
            }
            g.setColor(Color.DARK_GRAY);
            for (Map.Entry<Integer, Integer> e : lane.entrySet()) {
                g.drawString("process " + e.getKey(), 4, TOP + e.getValue() * LANE + LANE - 3);
            }
            g.setStroke(new BasicStroke(1));
            g.drawLine(LEFT, bottom + 2, WIDTH - 20, bottom + 2);
            double step = niceStep(end);
            for (double t = 0; t <= end; t += step) {
                int x = LEFT + (int) (t * scale);
                g.drawLine(x, bottom + 2, x, bottom + 6);
                g.drawString(String.format("%.0f s", t), x - 8, bottom + 18);
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** A tick every 1, 2, 5, 10, 20, 50... seconds: the smallest that gives at most twelve ticks. */
    static double niceStep(double end) {
        for (double decade = 1; ; decade *= 10) {
            for (double step : new double[] {decade, 2 * decade, 5 * decade}) {
                if (end / step <= 12) {
                    return step;
                }
            }
        }
    }
}
