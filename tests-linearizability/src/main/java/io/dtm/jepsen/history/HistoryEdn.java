package io.dtm.jepsen.history;

import java.util.List;
import java.util.Map;

/**
 * {@code history.edn}: the history in Jepsen's own format, one op map per line, keywords for
 * keys, types, {@code f} and the nemesis process, so that Jepsen's checkers (Knossos, Elle) can
 * read it where they are installed.
 */
public final class HistoryEdn {
    private HistoryEdn() {
    }

    public static String line(Op op) {
        StringBuilder b = new StringBuilder("{:index ").append(op.index())
                .append(", :time ").append(op.time())
                .append(", :type :").append(op.type().wire())
                .append(", :process ").append(op.isNemesis() ? ":nemesis" : String.valueOf(op.process()))
                .append(", :f ").append(keyword(op.f()))
                .append(", :value ");
        value(op.value(), b);
        if (op.error() != null) {
            b.append(", :error ");
            string(op.error(), b);
        }
        if (op.node() != null) {
            b.append(", :node ");
            string(op.node(), b);
        }
        if (op.tid() != null) {
            b.append(", :tid ");
            string(op.tid(), b);
        }
        return b.append('}').toString();
    }

    /** A keyword when {@code s} can be one ({@code :submit}), else a string. */
    private static String keyword(String s) {
        return s.matches("[A-Za-z][A-Za-z0-9*+!_?<>=.-]*") ? ":" + s : quoted(s);
    }

    private static void value(Object v, StringBuilder b) {
        if (v == null) {
            b.append("nil");
        } else if (v instanceof String s) {
            string(s, b);
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    b.append(", ");
                }
                first = false;
                b.append(keyword(String.valueOf(e.getKey()))).append(' ');
                value(e.getValue(), b);
            }
            b.append('}');
        } else if (v instanceof List<?> list) {
            b.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    b.append(' ');
                }
                value(list.get(i), b);
            }
            b.append(']');
        } else {
            string(v.toString(), b);
        }
    }

    private static void string(String s, StringBuilder b) {
        b.append(quoted(s));
    }

    private static String quoted(String s) {
        StringBuilder q = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> q.append("\\\"");
                case '\\' -> q.append("\\\\");
                case '\n' -> q.append("\\n");
                case '\r' -> q.append("\\r");
                case '\t' -> q.append("\\t");
                default -> q.append(c);
            }
        }
        return q.append('"').toString();
    }
}
