package io.dtm.participant;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.stream.Stream;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's native library from one copy per user and library build, extracted from the
 * rocksdbjni jar the first time and reused by every later start.
 *
 * <p>RocksDB's own loader copies the 15 MB library out of its jar into the temporary directory at
 * every start and deletes the copy when the JVM exits normally. A service killed with SIGKILL, or
 * halted after a failed write, leaves its copy behind: 537 of them (7.7 GB) filled /tmp on a
 * development machine after a day of fault-injection runs, and a production service restarted by a
 * supervisor after each crash would do the same. Here the copy goes to
 * {@code $XDG_CACHE_HOME/dtm/native} (else {@code ~/.cache/dtm/native}; {@value #DIR_PROPERTY}
 * chooses another directory) in a directory named after the library's size and CRC in the jar, so a
 * new rocksdbjni gets a new copy and a start never writes 15 MB again. Several services starting at
 * once each write their own temporary file and rename it into place, so none loads a half-written
 * copy. If the directory cannot be used, RocksDB's own loader runs, with a warning.
 */
final class RocksDbLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbLibrary.class);
    /** Where the extracted copies go, instead of the per-user cache directory. */
    static final String DIR_PROPERTY = "dtm.native.dir";
    private static final String PART = ".part";
    /** A partial copy older than this was left by a killed start: removed. */
    private static final Duration STALE_PART = Duration.ofHours(1);

    private static boolean loaded;

    private RocksDbLibrary() {
    }

    /** Loads the library once per JVM. */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        Path root = cacheRoot();
        try {
            Path dir = extract(root);
            RocksDB.loadLibrary(List.of(dir.toString()));
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            LOG.warn("cannot use {} for RocksDB's native library ({}); RocksDB copies it to {} at every start instead,"
                    + " and a killed process leaves its copy there", root, e.toString(), System.getProperty("java.io.tmpdir"));
            RocksDB.loadLibrary();
        }
        loaded = true;
    }

    /** The file name of the copy in the directory {@link #extract} returns. */
    static String copyName() {
        return Environment.getJniLibraryFileName("rocksdbjni");
    }

    /**
     * The directory under {@code root} that holds this rocksdbjni's library, extracted there now
     * unless an intact copy (of the right size) already is.
     */
    static Path extract(Path root) throws IOException {
        String name = Environment.getJniLibraryFileName("rocksdb");
        // RocksDB.loadLibrary(paths) looks in each path for the name made from "rocksdbjni"
        // (librocksdbjnijni-linux64.so), not for the jar's own name: the copy takes that name.
        String copyName = copyName();
        URL url = RocksDB.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new IOException(name + " is not in the rocksdbjni jar for this platform");
        }
        URLConnection connection = url.openConnection();
        if (!(connection instanceof JarURLConnection jar)) {
            throw new IOException(name + " is not inside a jar (" + url + ")");
        }
        JarEntry entry = jar.getJarEntry();
        long size = entry.getSize();
        Path dir = root.resolve(String.format("rocksdbjni-%08x-%d", entry.getCrc(), size));
        Path file = dir.resolve(copyName);
        if (Files.isRegularFile(file) && Files.size(file) == size) {
            return dir;
        }
        Files.createDirectories(dir);
        removeStaleParts(dir);
        Path part = Files.createTempFile(dir, name, PART);
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
            if (Files.size(part) != size) {
                throw new IOException("extracted " + Files.size(part) + " bytes of " + name + ", expected " + size);
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(part);
        }
        LOG.info("RocksDB's native library extracted to {} (once for this version)", file);
        return dir;
    }

    static Path cacheRoot() {
        String chosen = System.getProperty(DIR_PROPERTY);
        if (chosen != null && !chosen.isBlank()) {
            return Path.of(chosen);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return cache.resolve("dtm").resolve("native");
    }

    private static void removeStaleParts(Path dir) throws IOException {
        FileTime before = FileTime.from(Instant.now().minus(STALE_PART));
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(PART)).toList()) {
                if (Files.getLastModifiedTime(f).compareTo(before) < 0) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
