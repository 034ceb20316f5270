package io.dtm.jepsen.history;

import java.util.Map;
import java.util.Objects;

/**
 * One line of a history, with Jepsen's field names: {@code index} (position in the history),
 * {@code time} (nanoseconds since the test started), {@code type}, {@code process} (a client's
 * number, or {@link #NEMESIS} for fault operations), {@code f} (what was done), {@code value},
 * {@code error}; plus {@code node} (the node or process it went to or acted on) and {@code tid}.
 *
 * @param value a JSON-like value (map, list, string, number, boolean) or null
 */
public record Op(long index, long time, OpType type, int process, String f, Object value, String error, String node,
        String tid) {
    /** The process number of the nemesis ({@code "nemesis"} in histories). */
    public static final int NEMESIS = -1;

    public Op {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(f, "f");
    }

    public boolean isNemesis() {
        return process == NEMESIS;
    }

    public boolean isInvoke() {
        return type == OpType.INVOKE;
    }

    /** The value's {@code key} when the value is a map, else null. */
    public Object valueOf(String key) {
        return value instanceof Map<?, ?> m ? m.get(key) : null;
    }
}
