package io.dtm.config;

import java.util.List;

/**
 * A configuration that cannot be read or is invalid. It carries every problem found, not just
 * the first, so that one run of the tool is enough to fix a file; each problem starts with the
 * key path it concerns, such as {@code nodes[1].clientPort}.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String source;
    private final List<String> problems;

    /**
     * @param source   where the configuration came from (a file path or {@code classpath:...})
     * @param problems at least one problem description
     */
    public ConfigException(String source, List<String> problems) {
        super(message(source, problems));
        this.source = source;
        this.problems = List.copyOf(problems);
    }

    /** Where the configuration came from. */
    public String source() {
        return source;
    }

    /** Every problem found, in the order of the file. */
    public List<String> problems() {
        return problems;
    }

    private static String message(String source, List<String> problems) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        StringBuilder message = new StringBuilder(source).append(": invalid configuration:");
        problems.forEach(problem -> message.append("\n  - ").append(problem));
        return message.toString();
    }
}
