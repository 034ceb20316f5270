package io.dtm.cli.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The directory that holds everything one cluster writes: {@code cluster.yaml} (the configuration
 * it was started with), {@code data/} (each process's durable state), and for each process
 * {@code <name>.pid} and {@code <name>.log}, {@code tls/} (the CA certificate, every process's
 * certificate and key, the request digest key) and {@code ca/} (the CA's key, read by no process). A new directory is a new, empty cluster.
 */
public final class ClusterDir {
    private final Path root;

    public ClusterDir(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path configFile() {
        return root.resolve("cluster.yaml");
    }

    Path dataDir() {
        return root.resolve("data");
    }

    /** The cluster's certificates, keys and request digest key: what its processes read. */
    public Path tlsDir() {
        return root.resolve("tls");
    }

    /**
     * Written once every log group of the cluster has had a leader. Until then nodes start with
     * {@code --new-cluster} (a node without a log creates its groups); from then on a node without
     * its log is refused, as one that lost its disk.
     */
    Path formedMarker() {
        return root.resolve("cluster-formed");
    }

    public boolean formed() {
        return Files.exists(formedMarker());
    }

    void markFormed() throws IOException {
        if (!formed()) {
            Files.writeString(formedMarker(), "every log group of this cluster has had a leader; nodes without their"
                    + " log are refused from now on\n");
        }
    }

    /** The cluster CA's key: apart from what the processes read, owner-only. */
    public Path caDir() {
        return root.resolve("ca");
    }

    Path pidFile(String process) {
        return root.resolve(process + ".pid");
    }

    Path logFile(String process) {
        return root.resolve(process + ".log");
    }

    /** The pid recorded for a process, if its pid file exists and holds a number. */
    OptionalLong pid(String process) {
        Path file = pidFile(process);
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8).trim();
            return OptionalLong.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            // No pid file, or a torn one: either way there is no process we can vouch for.
            return OptionalLong.empty();
        }
    }

    /**
     * Whether the pid recorded for {@code process} is alive, without looking at its command line:
     * only for a process this JVM has just started. Right after a start the command line may still
     * be empty (the child has not finished its exec; seen under load), so {@link #running} could call
     * a healthy process gone.
     */
    boolean alive(String process) {
        OptionalLong pid = pid(process);
        return pid.isPresent() && ProcessHandle.of(pid.getAsLong()).map(ProcessHandle::isAlive).orElse(false);
    }

    /**
     * The live process recorded for {@code process}: its pid file names a running process that is
     * ours (its command line names this process), not an unrelated one that reused the pid.
     */
    public Optional<ProcessHandle> running(String process) {
        OptionalLong pid = pid(process);
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        return ProcessHandle.of(pid.getAsLong())
                .filter(ProcessHandle::isAlive)
                .filter(h -> isOurs(commandLine(h.pid()), process));
    }

    void writePid(String process, long pid) {
        try {
            Files.writeString(pidFile(process), pid + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + pidFile(process), e);
        }
    }

    void removePid(String process) {
        try {
            Files.deleteIfExists(pidFile(process));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + pidFile(process), e);
        }
    }

    /** Names of the processes that have a pid file here. */
    List<String> processesWithPidFiles() {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return names;
        }
        try (var files = Files.newDirectoryStream(root, "*.pid")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                names.add(name.substring(0, name.length() - ".pid".length()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        names.sort(null);
        return names;
    }

    /** The last lines of a process's log, to show why it failed. */
    String logTail(String process, int lines) {
        Path log = logFile(process);
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(System.lineSeparator(), all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    /**
     * Stops a process: SIGTERM, then SIGKILL after {@code grace}. Returns false when it was not
     * running. The pid file goes either way.
     */
    boolean stop(String process, Duration grace) {
        return stop(List.of(process), grace).contains(process);
    }

    /**
     * Stops processes together: SIGTERM to all of them at once, then SIGKILL to any still running
     * {@code grace} later (a node takes seconds to close its Raft channels; one after the other, a
     * cluster took 20 s to stop). Returns those that were running. Their pid files go either way.
     */
    Set<String> stop(List<String> processes, Duration grace) {
        Map<String, ProcessHandle> running = new LinkedHashMap<>();
        for (String process : processes) {
            running(process).ifPresent(handle -> running.put(process, handle));
        }
        running.values().forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (ProcessHandle p : running.values()) {
            try {
                p.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                p.destroyForcibly();
                p.onExit().join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }
        processes.forEach(this::removePid);
        return running.keySet();
    }

    private boolean isOurs(String commandLine, String process) {
        return commandLine.contains(ProcessLauncher.PROCESS_PROPERTY + "=" + process + " ")
                && commandLine.contains(ProcessLauncher.DIR_PROPERTY + "=" + root + " ");
    }

    private static String commandLine(long pid) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            // No /proc (not Linux): fall back to what the JDK knows.
            return ProcessHandle.of(pid).flatMap(h -> h.info().commandLine()).orElse("");
        }
    }
}
