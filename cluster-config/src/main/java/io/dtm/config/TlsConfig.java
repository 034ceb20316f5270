package io.dtm.config;

import java.nio.file.Path;

/**
 * Transport security and the cluster's secrets. Every process finds its files by its name ({@code n1},
 * {@code payment}, and {@code admin} or {@code client} for the command line and client programs):
 * by default {@code <dir>/ca.pem}, {@code <dir>/<name>.pem} and {@code <dir>/<name>.key}, as
 * {@code dtm cluster start} and {@code dtm certs create} make them; a cluster with a PKI of its
 * own points at its files instead, {@value #NAME} standing for the process's name.
 *
 * @param enabled  mutual TLS on every link; false sends everything in clear text (a warning at every start)
 * @param dir      the directory, or null for the default: {@code tls} beside the data directory
 *                 ({@code <dataDir>/../tls}, so {@code DIR/tls} for a cluster made by {@code dtm cluster start});
 *                 it also holds {@code digest.key}, the request digest key
 * @param caFile   the CA certificates every process trusts, or null for {@code <dir>/ca.pem}
 * @param certFile each process's certificate chain, {@value #NAME} for its name, or null for {@code <dir>/{name}.pem}
 * @param keyFile  each process's private key (PKCS#8 PEM), or null for {@code <dir>/{name}.key}
 */
public record TlsConfig(boolean enabled, Path dir, Path caFile, String certFile, String keyFile) {
    /** Stands for the process's name in {@link #certFile} and {@link #keyFile}. */
    public static final String NAME = "{name}";

    /** The values a configuration file gets for keys it leaves out. */
    public static TlsConfig defaults() {
        return new TlsConfig(true, null, null, null, null);
    }

    /** The directory for a cluster whose data lives in {@code dataDir}. */
    public Path dirFor(Path dataDir) {
        if (dir != null) {
            return dir;
        }
        Path parent = dataDir.toAbsolutePath().normalize().getParent();
        return parent == null ? Path.of("tls").toAbsolutePath() : parent.resolve("tls");
    }

    public TlsConfig withDir(Path newDir) {
        return new TlsConfig(enabled, newDir, caFile, certFile, keyFile);
    }

    public TlsConfig withEnabled(boolean on) {
        return new TlsConfig(on, dir, caFile, certFile, keyFile);
    }

    /** The files one process's TLS needs: the CA certificates it trusts, its certificate chain, its key. */
    public record Files(Path ca, Path cert, Path key) {
        public java.util.List<Path> all() {
            return java.util.List.of(ca, cert, key);
        }
    }
}
