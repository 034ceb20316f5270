package io.dtm.jepsen.env;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short system command (ip, iptables, kill) and says what went wrong when it fails. */
final class Sh {
    private static final long TIMEOUT_SECONDS = 30;

    private Sh() {
    }

    /** Runs {@code command}; its standard output, or an exception carrying its error output. */
    static String run(List<String> command) {
        Result r = tryRun(command);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + r.exitCode() + "): "
                    + r.output().strip());
        }
        return r.output();
    }

    static String run(String... command) {
        return run(List.of(command));
    }

    /** Its exit code and output (stdout and stderr together); never throws for a failing command. */
    static Result tryRun(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out after " + TIMEOUT_SECONDS + " s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("interrupted running " + command, e));
        }
    }

    record Result(int exitCode, String output) {
    }
}
