package io.dtm.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/**
 * Hands out ports that the operating system reports free, never the same one twice in this JVM.
 *
 * <p>For configurations built on the fly (tests, the fault-injection harness): the kernel may
 * give the same ephemeral port to two probes in a row once the first probe closed it, and a
 * cluster whose nodes share a port would not start. There is still a window between the probe and
 * the bind in which another process can take the port; callers that bind at once rarely lose it.
 */
public final class FreePorts {
    private static final Set<Integer> HANDED_OUT = new HashSet<>();

    private FreePorts() {
    }

    /** A port that was free a moment ago and was not handed out before by this JVM. */
    public static synchronized int next() {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = probe();
            if (HANDED_OUT.add(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no unused ephemeral port after 1000 probes");
    }

    private static int probe() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot probe for a free port", e);
        }
    }
}
