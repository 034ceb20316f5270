package io.dtm.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The cluster's request digest key, {@code <tls dir>/digest.key}: 32 random bytes as one line of
 * hex, readable by its owner only. Every node reads it at start and keys its request digests with
 * it (the digest is stored in the log and at the services, and the request holds a card number).
 * Created once per cluster, with the cluster, and copied to every node's machine as-is: nodes with
 * different keys would take a resubmitted request for another one after a failover.
 */
public final class DigestKeyFile {
    public static final String NAME = "digest.key";
    public static final int KEY_BYTES = 32;
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private DigestKeyFile() {
    }

    public static Path path(Path dir) {
        return dir.resolve(NAME);
    }

    /**
     * Creates the key in {@code dir} (made, owner-only, if missing) unless one is there; returns
     * whether it created one. Written to a temporary file and linked into place, so processes that
     * start together never read a partial key, and a key once there is never replaced.
     */
    public static boolean createIfAbsent(Path dir, SecureRandom random) {
        Path target = path(dir);
        if (Files.exists(target)) {
            return false;
        }
        byte[] key = new byte[KEY_BYTES];
        random.nextBytes(key);
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                restrict(dir, OWNER_ONLY_DIR);
            }
            Path temp = Files.createTempFile(dir, NAME, ".tmp");
            try {
                restrict(temp, OWNER_ONLY);
                Files.writeString(temp, HexFormat.of().formatHex(key) + "\n", StandardCharsets.US_ASCII);
                Files.createLink(target, temp); // fails if another process made one meanwhile: keep theirs
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the request digest key " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The key in {@code dir}; a {@link ConfigException} saying what to do when it is missing,
     * malformed, or readable by others.
     */
    public static byte[] read(Path dir) {
        Path file = path(dir);
        String text;
        try {
            PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (posix != null) {
                Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
                if (!OWNER_ONLY.containsAll(permissions)) {
                    throw problem(file, "is readable or writable by others (" + PosixFilePermissions.toString(permissions)
                            + "); it is the cluster's secret: chmod 600 " + file);
                }
            }
            text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        } catch (NoSuchFileException e) {
            throw problem(file, "missing. Every node needs the cluster's request digest key: `dtm cluster start` creates it"
                    + " in a new cluster directory (DIR/tls/" + NAME + "); for a cluster of your own, copy that file"
                    + " to each node's tls.dir (mode 600), the same file on every node");
        } catch (IOException e) {
            throw problem(file, "cannot be read: " + e.getMessage());
        }
        if (text.length() != 2 * KEY_BYTES || !text.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw problem(file, "is not a digest key: expected one line of " + 2 * KEY_BYTES + " hex digits");
        }
        return HexFormat.of().parseHex(text);
    }

    private static ConfigException problem(Path file, String what) {
        return new ConfigException(file.toString(), java.util.List.of(NAME + ": " + what));
    }

    private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
        if (Files.getFileAttributeView(path, PosixFileAttributeView.class) != null) {
            Files.setPosixFilePermissions(path, permissions);
        }
    }
}
