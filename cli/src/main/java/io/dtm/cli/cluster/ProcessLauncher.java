package io.dtm.cli.cluster;

import io.dtm.cli.Dtm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts this program again as a background process (a coordinator node, later a participant
 * service), detached from the terminal, with its output going to its log file in the cluster's
 * directory. The child runs the same java and classpath as this process.
 */
final class ProcessLauncher {
    /** Names the process on its command line; {@link ClusterDir#running} checks it to trust a pid. */
    static final String PROCESS_PROPERTY = "-Ddtm.process";
    static final String DIR_PROPERTY = "-Ddtm.dir";
    /**
     * Heap and GC flags of a node or service; override with a non-empty DTM_NODE_JAVA_OPTS. The serial
     * collector: seven JVMs share the machine and their live heaps are tens of megabytes, so G1's
     * concurrent threads and heavier write barriers cost more than its short pauses save (measured
     * on 2 cores: +35% committed/s at 256 clients, docs/PERFORMANCE.md); a young collection here
     * takes a few milliseconds, far below an election timeout.
     */
    static final String DEFAULT_NODE_JAVA_OPTS = "-Xms64m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";

    private ProcessLauncher() {
    }

    /** Starts {@code dtm <args>} as process {@code name} of the cluster in {@code dir}; returns its pid. */
    static long start(ClusterDir dir, String name, List<String> args) throws IOException {
        List<String> command = new ArrayList<>();
        // setsid: the child gets its own session, so a Ctrl-C in this terminal later does not reach it.
        command.add("setsid");
        command.add(javaBinary());
        String opts = System.getenv("DTM_NODE_JAVA_OPTS");
        if (opts == null || opts.isBlank()) {
            opts = DEFAULT_NODE_JAVA_OPTS; // empty means unset, as ${DTM_JAVA_OPTS:-...} does in ./dtm
        }
        for (String opt : opts.trim().split("\\s+")) {
            if (!opt.isEmpty()) {
                command.add(opt);
            }
        }
        command.add(PROCESS_PROPERTY + "=" + name);
        command.add(DIR_PROPERTY + "=" + dir.root());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Dtm.class.getName());
        command.addAll(args);
        Path log = dir.logFile(name);
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        // setsid execs in place when its caller is not a process-group leader (a JVM's child never
        // is), so this pid is the java process itself.
        return process.pid();
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
