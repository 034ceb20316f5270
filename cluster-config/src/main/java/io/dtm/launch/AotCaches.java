package io.dtm.launch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.CRC32C;

/**
 * The AOT caches (Java 25: JEP 483, 514, 515) that the build's training run leaves beside dtm.jar
 * ({@code aot/<kind>.aot}: {@code node}, or a service's name), and the program they were made from.
 *
 * <p>A cache holds classes as they were loaded from the program's jars, and the JVM checks only the
 * jar named on the command line: a module jar that dtm.jar's manifest names ({@code lib/*.jar})
 * may change and the JVM still serves its old classes from the cache, silently (seen: a rebuilt
 * coordinator ran its previous code, "source: shared objects file"). That happens whenever a module
 * is rebuilt without a new training run, e.g. with {@code -Ddtm.aot.skip=true}. So the training
 * run writes a checksum of the whole program beside the caches ({@value #STAMP}), and a cache is
 * used only while the program still matches it.
 */
public final class AotCaches {
    /** The cache of every coordinator node (a service's is named after the service). */
    public static final String NODE = "node";
    /** Beside dtm.jar: where the training run leaves the caches. */
    public static final String DIR = "aot";
    /** In {@link #DIR}: the checksum of the program the caches were made from. */
    static final String STAMP = "program.crc32c";

    private AotCaches() {
    }

    /** The directory of the caches of the program whose main jar is {@code jar}. */
    public static Path dirOf(Path jar) {
        return jar.toAbsolutePath().resolveSibling(DIR);
    }

    /**
     * The cache for processes of kind {@code kind} on Java {@code javaFeature}, for the program in
     * {@code jar}: empty on a Java before 25, when the training run made none, or when the program
     * changed since (see {@link #staleness}).
     */
    public static Optional<Path> find(String kind, int javaFeature, Path jar) {
        return staleness(jar).isPresent() ? Optional.empty() : file(kind, javaFeature, jar);
    }

    /** As {@link #find}, without checking the program against the caches (the caller did, once). */
    public static Optional<Path> file(String kind, int javaFeature, Path jar) {
        if (javaFeature < 25) {
            return Optional.empty();
        }
        Path file = dirOf(jar).resolve(kind + ".aot");
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /**
     * Why the caches beside {@code jar} must not be used, when there are caches and the program is
     * not the one they were made from; empty when there are none or they match.
     */
    public static Optional<String> staleness(Path jar) {
        Path dir = dirOf(jar);
        if (!hasCaches(dir)) {
            return Optional.empty();
        }
        Path stampFile = dir.resolve(STAMP);
        if (!Files.isRegularFile(stampFile)) {
            return Optional.of("the AOT caches in " + dir + " do not say which build of dtm they were made from");
        }
        try {
            String made = Files.readString(stampFile, StandardCharsets.UTF_8).trim();
            String now = stamp(jar);
            if (!made.equals(now)) {
                return Optional.of("the AOT caches in " + dir + " were made from another build of dtm (checksum "
                        + made + ", this build " + now + ")");
            }
            return Optional.empty();
        } catch (IOException | UncheckedIOException e) {
            return Optional.of("cannot check the AOT caches in " + dir + " against this build: " + e.getMessage());
        }
    }

    /** Records that the caches in {@code dir} were made from the program in {@code jar}. */
    public static void writeStamp(Path dir, Path jar) throws IOException {
        Files.writeString(dir.resolve(STAMP), stamp(jar) + "\n", StandardCharsets.UTF_8);
    }

    /**
     * A checksum of the program: the name, size and bytes of {@code jar} and of every jar its
     * manifest's Class-Path names, in order (CRC32C: it guards against a rebuild, not an attacker,
     * who could change the caches as easily). A missing jar counts as such.
     */
    static String stamp(Path jar) throws IOException {
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[1 << 16];
        for (Path file : program(jar)) {
            crc.update((file.getFileName() + "\0").getBytes(StandardCharsets.UTF_8));
            if (!Files.isRegularFile(file)) {
                crc.update("missing\0".getBytes(StandardCharsets.UTF_8));
                continue;
            }
            crc.update((Files.size(file) + "\0").getBytes(StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(file)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    crc.update(buffer, 0, n);
                }
            }
        }
        return String.format("%08x", crc.getValue());
    }

    /** {@code jar} and the jars its manifest's Class-Path names, resolved against its directory. */
    static List<Path> program(Path jar) throws IOException {
        List<Path> files = new ArrayList<>();
        Path main = jar.toAbsolutePath();
        files.add(main);
        String classPath = null;
        try (JarFile file = new JarFile(main.toFile())) {
            Manifest manifest = file.getManifest();
            if (manifest != null) {
                classPath = manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            }
        }
        if (classPath != null) {
            for (String entry : classPath.trim().split("\\s+")) {
                if (!entry.isEmpty()) {
                    files.add(main.resolveSibling(entry).normalize());
                }
            }
        }
        return files;
    }

    private static boolean hasCaches(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (var files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".aot"));
        } catch (IOException e) {
            return false;
        }
    }
}
