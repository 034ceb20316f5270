package io.dtm.cli.cluster;

import io.dtm.cli.Dtm;
import io.dtm.launch.AotCaches;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts this program again as a background process (a coordinator node, later a participant
 * service), detached from the terminal, with its output going to its log file in the cluster's
 * directory. The child runs the same java and classpath as this process.
 */
public final class ProcessLauncher {
    /** Names the process on its command line; {@link ClusterDir#running} checks it to trust a pid. */
    static final String PROCESS_PROPERTY = "-Ddtm.process";
    static final String DIR_PROPERTY = "-Ddtm.dir";
    /**
     * Heap and GC flags of a node or service; override with a non-empty DTM_NODE_JAVA_OPTS (where
     * {@value #NAME_PLACEHOLDER} stands for the process's name). The serial
     * collector: seven JVMs share the machine and their live heaps are tens of megabytes, so G1's
     * concurrent threads and heavier write barriers cost more than its short pauses save (measured
     * on 2 cores: +35% committed/s at 256 clients, docs/PERFORMANCE.md); a young collection here
     * takes a few milliseconds, far below an election timeout.
     */
    static final String DEFAULT_NODE_JAVA_OPTS = "-Xms64m -Xmx512m -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError";

    /**
     * Replaced by the process's name in DTM_NODE_JAVA_OPTS, for flags that need a file per process
     * (e.g. {@code -XX:ArchiveClassesAtExit=/tmp/cds/{name}.jsa} in a training run).
     */
    public static final String NAME_PLACEHOLDER = "{name}";

    private ProcessLauncher() {
    }

    /**
     * From Java 24 on, RocksDB's native library and protobuf's and Netty's use of sun.misc.Unsafe
     * each print warnings at start (JEP 471, 472, 498): allowed, so logs start with the node's own lines.
     */
    static final List<String> QUIET_ON_NEW_JAVA = List.of("--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    /** The AOT cache of every coordinator node (a service's is named after the service). */
    public static final String NODE_CACHE = AotCaches.NODE;

    /**
     * Starts {@code dtm <args>} as process {@code name} of the cluster in {@code dir}, with the AOT
     * cache {@code cache} when there is one (see {@link #aotCache}) and {@code extraOptions};
     * returns its pid.
     */
    static long start(ClusterDir dir, String name, String cache, List<String> extraOptions, List<String> args)
            throws IOException {
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
                command.add(opt.replace(NAME_PLACEHOLDER, name));
            }
        }
        for (String opt : extraOptions) {
            command.add(opt.replace(NAME_PLACEHOLDER, name));
        }
        if (Runtime.version().feature() >= 24) {
            command.addAll(QUIET_ON_NEW_JAVA);
        }
        if (command.stream().noneMatch(o -> o.startsWith("-XX:AOTCache"))) {
            aotCache(cache).ifPresent(file -> command.add("-XX:AOTCache=" + file));
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

    /**
     * The AOT cache that the build's training run left beside dtm.jar for processes like this one
     * (see {@link AotCaches}): loaded and linked classes and method profiles, so a process starts
     * and reaches speed sooner (docs/PERFORMANCE.md). Empty on an older Java, without the file, or
     * when this build of dtm is not the one the caches were made from.
     */
    static Optional<Path> aotCache(String cache) {
        if (aotStaleness().isPresent()) {
            return Optional.empty();
        }
        return AotCaches.file(cache, Runtime.version().feature(), programJar());
    }

    /** Why this program's AOT caches must not be used, if they must not; checked once per process (it reads every jar). */
    static synchronized Optional<String> aotStaleness() {
        if (staleness == null) {
            staleness = Runtime.version().feature() >= 25 ? AotCaches.staleness(programJar()) : Optional.empty();
        }
        return staleness;
    }

    private static Optional<String> staleness;

    /** The jar this program runs from (dtm.jar), first on the class path. */
    public static Path programJar() {
        return Path.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)[0]);
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
