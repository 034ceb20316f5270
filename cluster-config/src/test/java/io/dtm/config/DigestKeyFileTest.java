package io.dtm.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cluster's request digest key: made once, owner-only, never replaced, refused when unsafe. */
class DigestKeyFileTest {
    @TempDir
    Path tmp;

    @Test
    void aKeyIsMadeOnceOwnerOnlyAndNeverReplaced() throws IOException {
        Path dir = tmp.resolve("tls");

        assertThat(DigestKeyFile.createIfAbsent(dir, new SecureRandom())).isTrue();
        byte[] first = DigestKeyFile.read(dir);
        assertThat(DigestKeyFile.createIfAbsent(dir, new SecureRandom())).isFalse();

        assertThat(DigestKeyFile.read(dir)).hasSize(DigestKeyFile.KEY_BYTES).isEqualTo(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(DigestKeyFile.path(dir))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(DigestKeyFile.NAME);
        }
    }

    @Test
    void aMissingKeyIsRefusedSayingWhereItComesFrom() {
        assertThatThrownBy(() -> DigestKeyFile.read(tmp))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(DigestKeyFile.path(tmp).toString())
                .hasMessageContaining("missing")
                .hasMessageContaining("dtm cluster start");
    }

    @Test
    void aKeyOthersCanReadIsRefused() throws IOException {
        DigestKeyFile.createIfAbsent(tmp, new SecureRandom());
        Files.setPosixFilePermissions(DigestKeyFile.path(tmp), PosixFilePermissions.fromString("rw-r--r--"));

        assertThatThrownBy(() -> DigestKeyFile.read(tmp))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("readable or writable by others (rw-r--r--)")
                .hasMessageContaining("chmod 600");
    }

    @Test
    void aFileThatIsNotAKeyIsRefused() throws IOException {
        Path file = DigestKeyFile.path(tmp);
        Files.writeString(file, "not a key\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));

        assertThatThrownBy(() -> DigestKeyFile.read(tmp))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("expected one line of 64 hex digits");
    }
}
