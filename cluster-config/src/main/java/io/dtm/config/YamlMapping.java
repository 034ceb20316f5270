package io.dtm.config;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A YAML mapping at a key path, read field by field. A read that fails records a problem
 * (prefixed with the key path) and returns {@code null} or the given default instead of throwing,
 * so that one pass over a file finds every problem in it.
 */
final class YamlMapping {

    /** An inclusive range of integers, with the words that explain it in a problem. */
    record Range(long min, long max, String rule) {
        static final Range PORT = new Range(1, 65_535, "must be between 1 and 65535");
        static final Range POSITIVE = new Range(1, Long.MAX_VALUE, "must be positive");
        static final Range NON_NEGATIVE = new Range(0, Long.MAX_VALUE, "must not be negative");
        static final Range POSITIVE_INT = new Range(1, Integer.MAX_VALUE, "must be between 1 and 2147483647");

        boolean contains(BigInteger value) {
            return value.compareTo(BigInteger.valueOf(min)) >= 0 && value.compareTo(BigInteger.valueOf(max)) <= 0;
        }
    }

    /** An inclusive range of real numbers, with the words that explain it in a problem. */
    record DoubleRange(double min, double max, String rule) {
        static final DoubleRange PROBABILITY = new DoubleRange(0, 1, "must be between 0 and 1");

        boolean contains(double value) {
            // Written so that NaN, which compares false with everything, is outside every range.
            return value >= min && value <= max;
        }
    }

    private final String path;
    private final Map<?, ?> values;
    private final List<String> problems;

    private YamlMapping(String path, Map<?, ?> values, List<String> problems, List<String> knownKeys) {
        this(path, values, problems, knownKeys, Set.of());
    }

    private YamlMapping(String path, Map<?, ?> values, List<String> problems, List<String> knownKeys,
            Set<String> retiredKeys) {
        this.path = path;
        this.values = values;
        this.problems = problems;
        if (knownKeys != null) {
            rejectUnknownKeys(knownKeys, retiredKeys);
        }
    }

    /**
     * Views {@code value} as a mapping whose only allowed keys are {@code knownKeys} (or any keys
     * when {@code null}), reporting the keys outside it. Returns {@code null}, having recorded a
     * problem, if {@code value} is not a mapping.
     */
    static YamlMapping of(String path, Object value, List<String> problems, List<String> knownKeys) {
        if (value instanceof Map<?, ?> map) {
            return new YamlMapping(path, map, problems, knownKeys);
        }
        problems.add(path + ": expected a mapping, got " + describe(value));
        return null;
    }

    /** The key path of a child of this mapping, e.g. {@code log.retention} for "retention". */
    String pathOf(Object key) {
        return path.isEmpty() ? String.valueOf(key) : path + "." + key;
    }

    String path() {
        return path;
    }

    /** The keys in file order (snakeyaml-engine builds insertion-ordered maps). */
    Set<?> keys() {
        return values.keySet();
    }

    boolean has(String key) {
        return values.containsKey(key);
    }

    Object raw(Object key) {
        return values.get(key);
    }

    /** Records a problem about the child {@code key} of this mapping. */
    void problem(String key, String problem) {
        problems.add(pathOf(key) + ": " + problem);
    }

    /**
     * An optional nested section. A section that is absent, or present with no value because all
     * of its keys are commented out, reads as empty so that each key takes its default.
     */
    YamlMapping section(String key, List<String> knownKeys) {
        return section(key, knownKeys, Set.of());
    }

    /** As {@link #section(String, List)}, also accepting {@code retiredKeys} (keys of earlier builds), unlisted in errors. */
    YamlMapping section(String key, List<String> knownKeys, Set<String> retiredKeys) {
        Object value = values.get(key);
        if (value == null) {
            return new YamlMapping(pathOf(key), Map.of(), problems, knownKeys, retiredKeys);
        }
        if (value instanceof Map<?, ?> map) {
            return new YamlMapping(pathOf(key), map, problems, knownKeys, retiredKeys);
        }
        return of(pathOf(key), value, problems, knownKeys);
    }

    /** A required string that is not blank; {@code null} if invalid. */
    String requiredString(String key) {
        if (!has(key)) {
            problem(key, "missing");
            return null;
        }
        Object value = values.get(key);
        if (!(value instanceof String text)) {
            problem(key, "expected a string, got " + describe(value));
            return null;
        }
        if (text.isBlank()) {
            problem(key, "must not be empty");
            return null;
        }
        return text;
    }

    /** A required string that is not blank and has no whitespace, like a host; {@code null} if invalid. */
    String requiredToken(String key) {
        String text = requiredString(key);
        if (text != null && text.codePoints().anyMatch(Character::isWhitespace)) {
            problem(key, "must not contain whitespace, got " + describe(text));
            return null;
        }
        return text;
    }

    /** An optional string that is not blank; {@code fallback} if absent or invalid. */
    String optionalString(String key, String fallback) {
        if (!has(key)) {
            return fallback;
        }
        Object value = values.get(key);
        if (!(value instanceof String text)) {
            problem(key, "expected a string, got " + describe(value));
            return fallback;
        }
        if (text.isBlank()) {
            problem(key, "must not be empty");
            return fallback;
        }
        return text;
    }

    /** A required integer in {@code range}; {@code null} if invalid. */
    Integer requiredInt(String key, Range range) {
        if (!has(key)) {
            problem(key, "missing");
            return null;
        }
        BigInteger value = integer(key, range);
        return value == null ? null : value.intValueExact();
    }

    /** A required integer in {@code range}; {@code null} if invalid. */
    Long requiredLong(String key, Range range) {
        if (!has(key)) {
            problem(key, "missing");
            return null;
        }
        BigInteger value = integer(key, range);
        return value == null ? null : value.longValueExact();
    }

    /** An optional integer in {@code range}; {@code fallback} if absent or invalid. */
    long optionalLong(String key, Range range, long fallback) {
        if (!has(key)) {
            return fallback;
        }
        BigInteger value = integer(key, range);
        return value == null ? fallback : value.longValueExact();
    }

    /** An optional {@code true} or {@code false}; {@code fallback} if absent or invalid. */
    boolean optionalBoolean(String key, boolean fallback) {
        if (!has(key)) {
            return fallback;
        }
        Object value = values.get(key);
        if (value instanceof Boolean flag) {
            return flag;
        }
        problem(key, "expected true or false, got " + describe(value));
        return fallback;
    }

    /** An optional integer in {@code range}, which must fit in an int; {@code fallback} if absent or invalid. */
    int optionalInt(String key, Range range, int fallback) {
        return Math.toIntExact(optionalLong(key, range, fallback));
    }

    /**
     * An optional number in {@code range}; {@code fallback} if absent or invalid. Integers count as
     * numbers, so that {@code 0} and {@code 1} need no decimal point.
     */
    double optionalDouble(String key, DoubleRange range, double fallback) {
        if (!has(key)) {
            return fallback;
        }
        Object value = values.get(key);
        double number;
        if (value instanceof Double || value instanceof Float || value instanceof Integer || value instanceof Long
                || value instanceof BigInteger) {
            number = ((Number) value).doubleValue();
        } else {
            problem(key, "expected a number, got " + describe(value));
            return fallback;
        }
        if (!range.contains(number)) {
            problem(key, range.rule() + ", got " + value);
            return fallback;
        }
        return number;
    }

    /** An optional constant of {@code type}, written as its exact name; {@code fallback} if absent or invalid. */
    <E extends Enum<E>> E optionalEnum(String key, Class<E> type, E fallback) {
        if (!has(key)) {
            return fallback;
        }
        Object value = values.get(key);
        if (value instanceof String name) {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(name)) {
                    return constant;
                }
            }
        }
        String names = Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(Collectors.joining(" | "));
        problem(key, "expected one of " + names + ", got " + describe(value));
        return fallback;
    }

    /**
     * An optional list, empty if absent or present with no value (like a {@linkplain #section
     * section} whose entries are all commented out), or, having recorded a problem, if not a list.
     */
    List<?> optionalList(String key) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            problem(key, "expected a list, got " + describe(value));
            return List.of();
        }
        return list;
    }

    private BigInteger integer(String key, Range range) {
        Object value = values.get(key);
        BigInteger number;
        if (value instanceof Integer || value instanceof Long) {
            number = BigInteger.valueOf(((Number) value).longValue());
        } else if (value instanceof BigInteger big) {
            number = big;
        } else {
            // Booleans and floats are numbers to some YAML readers; here they are mistakes.
            problem(key, "expected an integer, got " + describe(value));
            return null;
        }
        if (!range.contains(number)) {
            problem(key, range.rule() + ", got " + number);
            return null;
        }
        return number;
    }

    private void rejectUnknownKeys(List<String> knownKeys, Set<String> retiredKeys) {
        for (Object key : values.keySet()) {
            if (!knownKeys.contains(key) && !retiredKeys.contains(key)) {
                problem(String.valueOf(key), "unknown key (expected one of: " + String.join(", ", knownKeys) + ")");
            }
        }
    }

    /** How a value read from YAML is named in a problem: its YAML type and, for scalars, the value. */
    static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String text) {
            String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
            return "string \"" + shown + "\"";
        }
        if (value instanceof Boolean) {
            return "boolean " + value;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
            return "integer " + value;
        }
        if (value instanceof Double || value instanceof Float) {
            return "float " + value;
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        return value.getClass().getSimpleName();
    }
}
