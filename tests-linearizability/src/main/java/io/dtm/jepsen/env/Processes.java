package io.dtm.jepsen.env;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * The test's processes by name: started (again, on the same data) with their output appended to
 * {@code <logs>/<name>.log}, killed with SIGKILL, paused with SIGSTOP and resumed with SIGCONT.
 * Every pid started is written to a pid file, so that a later run can reap what a killed harness
 * left running.
 */
public final class Processes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Processes.class);
    private static final Duration EXIT_WAIT = Duration.ofSeconds(20);

    private final Path logDir;
    private final Path pidFile;
    private final BiFunction<String, List<String>, List<String>> wrap;
    private final Map<String, List<String>> commands = new LinkedHashMap<>();
    private final Map<String, Process> running = new ConcurrentHashMap<>();
    private final Set<String> paused = ConcurrentHashMap.newKeySet();

    /**
     * @param wrap turns a process's name and command into what is run, e.g. inside its network
     *             namespace ({@link Network#inside}); identity when processes share the host's network
     */
    public Processes(Path logDir, Path pidFile, BiFunction<String, List<String>, List<String>> wrap) {
        this.logDir = logDir;
        this.pidFile = pidFile;
        this.wrap = wrap;
    }

    public void define(String name, List<String> command) {
        commands.put(name, List.copyOf(command));
    }

    public List<String> names() {
        return List.copyOf(commands.keySet());
    }

    /** Starts {@code name} unless it runs; on its data, as before. */
    public synchronized void start(String name) {
        Process p = running.get(name);
        if (p != null && p.isAlive()) {
            return;
        }
        List<String> command = wrap.apply(name, command(name));
        try {
            Files.createDirectories(logDir);
            Path log = logDir.resolve(name + ".log");
            Process started = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            running.put(name, started);
            paused.remove(name);
            Files.writeString(pidFile, started.pid() + " " + name + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            LOG.info("started {} (pid {})", name, started.pid());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + String.join(" ", command), e);
        }
    }

    /** SIGKILL, and waits until it is gone. */
    public void kill(String name) {
        Process p = running.remove(name);
        paused.remove(name);
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        waitFor(name, p);
        LOG.info("killed {} (pid {})", name, p.pid());
    }

    /** SIGSTOP: the process keeps its sockets and state but does nothing until resumed. */
    public void pause(String name) {
        signal(name, "-STOP");
        paused.add(name);
    }

    /** SIGCONT. */
    public void resume(String name) {
        if (paused.remove(name)) {
            signal(name, "-CONT");
        }
    }

    public boolean isRunning(String name) {
        Process p = running.get(name);
        return p != null && p.isAlive();
    }

    public boolean isPaused(String name) {
        return paused.contains(name);
    }

    public Optional<Long> pid(String name) {
        return Optional.ofNullable(running.get(name)).filter(Process::isAlive).map(Process::pid);
    }

    /** Resumes what is paused, then kills everything. */
    @Override
    public void close() {
        for (String name : new ArrayList<>(paused)) {
            resume(name);
        }
        for (String name : new ArrayList<>(running.keySet())) {
            kill(name);
        }
    }

    /**
     * Kills what the pid file names that still runs a DTM process (a pid that was reused by
     * something else is left alone), then empties the file.
     */
    public static void reap(Path pidFile) {
        if (!Files.isRegularFile(pidFile)) {
            return;
        }
        try {
            for (String line : Files.readAllLines(pidFile, StandardCharsets.UTF_8)) {
                String[] parts = line.strip().split(" ", 2);
                if (parts.length == 2 && parts[0].matches("\\d+")) {
                    ProcessHandle.of(Long.parseLong(parts[0]))
                            .filter(h -> h.info().commandLine().map(c -> c.contains("io.dtm") || c.contains("dtm.jar"))
                                    .orElse(false))
                            .ifPresent(h -> {
                                h.destroyForcibly();
                                LOG.info("reaped {} (pid {}) left by an earlier run", parts[1], h.pid());
                            });
                }
            }
            Files.delete(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reap the processes in " + pidFile, e);
        }
    }

    private List<String> command(String name) {
        List<String> command = commands.get(name);
        if (command == null) {
            throw new IllegalArgumentException("no process " + name + " (known: " + commands.keySet() + ")");
        }
        return command;
    }

    private void signal(String name, String signal) {
        long pid = pid(name).orElseThrow(() -> new IllegalStateException(name + " is not running"));
        Sh.run("kill", signal, String.valueOf(pid));
    }

    private static void waitFor(String name, Process p) {
        try {
            if (!p.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + p.pid() + ") still runs " + EXIT_WAIT + " after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for " + name + " to exit", e);
        }
    }
}
