package io.dtm.config;

import java.nio.file.Path;

/**
 * Where the cluster's secrets live: today the request digest key ({@code digest.key}), which every
 * node must share; the certificates of issue 20 will join it there.
 *
 * @param dir the directory, or null for the default: {@code tls} beside the data directory
 *            ({@code <dataDir>/../tls}, so {@code DIR/tls} for a cluster made by {@code dtm cluster start})
 */
public record TlsConfig(Path dir) {

    /** The values a configuration file gets for keys it leaves out. */
    public static TlsConfig defaults() {
        return new TlsConfig(null);
    }

    /** The directory for a cluster whose data lives in {@code dataDir}. */
    public Path dirFor(Path dataDir) {
        if (dir != null) {
            return dir;
        }
        Path parent = dataDir.toAbsolutePath().normalize().getParent();
        return parent == null ? Path.of("tls").toAbsolutePath() : parent.resolve("tls");
    }
}
