package io.dtm.participant;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbLibraryTest {
    @TempDir
    Path root;

    @Test
    void theLibraryIsExtractedOnceAndReusedByLaterStarts() throws IOException {
        Path dir = RocksDbLibrary.extract(root);
        Path library = dir.resolve(RocksDbLibrary.copyName());
        assertThat(library).isRegularFile();
        assertThat(Files.size(library)).isGreaterThan(1_000_000);
        FileTime old = FileTime.from(Instant.parse("2026-01-01T00:00:00Z"));
        Files.setLastModifiedTime(library, old);

        assertThat(RocksDbLibrary.extract(root)).isEqualTo(dir);
        assertThat(Files.getLastModifiedTime(library)).as("not written again").isEqualTo(old);
        assertThat(filesUnder(root)).containsExactly(library);
    }

    @Test
    void aTruncatedCopyIsReplaced() throws IOException {
        Path dir = RocksDbLibrary.extract(root);
        Path library = dir.resolve(RocksDbLibrary.copyName());
        long size = Files.size(library);
        Files.write(library, new byte[100]);

        RocksDbLibrary.extract(root);

        assertThat(Files.size(library)).isEqualTo(size);
        assertThat(filesUnder(root)).as("no partial copy left").containsExactly(library);
    }

    private static java.util.List<Path> filesUnder(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).toList();
        }
    }
}
