package io.dtm.jepsen.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code history.jsonl}: one op per line, Jepsen's field names, {@code "nemesis"} for the nemesis process. */
public final class HistoryJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private HistoryJson() {
    }

    public static String line(Op op) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", op.index());
        m.put("time", op.time());
        m.put("type", op.type().wire());
        m.put("process", op.isNemesis() ? "nemesis" : op.process());
        m.put("f", op.f());
        m.put("value", op.value());
        if (op.error() != null) {
            m.put("error", op.error());
        }
        if (op.node() != null) {
            m.put("node", op.node());
        }
        if (op.tid() != null) {
            m.put("tid", op.tid());
        }
        try {
            return MAPPER.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("op " + op.index() + " has a value JSON cannot hold", e);
        }
    }

    public static Op parse(String line) throws IOException {
        Map<String, Object> m = MAPPER.readValue(line, MAP);
        Object process = m.get("process");
        return new Op(((Number) m.get("index")).longValue(), ((Number) m.get("time")).longValue(),
                OpType.fromWire((String) m.get("type")), "nemesis".equals(process) ? Op.NEMESIS : ((Number) process).intValue(),
                (String) m.get("f"), m.get("value"), (String) m.get("error"), (String) m.get("node"), (String) m.get("tid"));
    }

    public static List<Op> read(Path file) throws IOException {
        List<Op> ops = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    ops.add(parse(line));
                }
            }
        }
        return ops;
    }

    /** A sink for {@link History} that writes and flushes each op as it comes. */
    public static java.util.function.Consumer<Op> sink(Writer out) {
        return op -> {
            try {
                out.write(line(op));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
    }
}
