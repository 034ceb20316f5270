package io.dtm.log.state;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The transaction table and its snapshot format stay pure: no Ratis, no Netty, no files, no
 * threads, no clock. Checked on the sources, so a stray import fails the build, not a review.
 */
class PureCoreLayeringTest {
    private static final Path SOURCES = Path.of("src/main/java/io/dtm/log/state");
    private static final List<String> ALLOWED_PREFIXES = List.of(
            "import java.util.", "import java.io.InputStream", "import java.io.OutputStream",
            "import java.io.IOException", "import io.dtm.protocol.log.", "import io.dtm.protocol.AttemptId;",
            "import io.dtm.protocol.TxnIds;", "import static io.dtm.log.state.",
            // ForgottenIds: a primitive hash set, the fingerprint hash and its bytes
            "import com.carrotsearch.hppc.", "import io.dtm.protocol.Sha256;", "import java.nio.ByteBuffer;",
            "import java.nio.charset.StandardCharsets;");

    /** Every source file of the package, so that a new one is checked too. */
    static List<String> files() throws IOException {
        try (Stream<Path> files = Files.list(SOURCES)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java")).sorted().toList();
        }
    }

    @Test
    void checksTheWholePackage() throws IOException {
        assertThat(files()).contains("TxnLogState.java", "TxnTable.java", "LogClock.java", "SnapshotFormat.java");
    }

    @ParameterizedTest
    @MethodSource("files")
    void importsOnlyDataTypes(String file) throws IOException {
        List<String> imports = Files.readAllLines(SOURCES.resolve(file)).stream()
                .filter(line -> line.startsWith("import "))
                .toList();
        assertThat(imports).allSatisfy(line ->
                assertThat(ALLOWED_PREFIXES).as("%s: %s", file, line).anyMatch(line::startsWith));
        String source = Files.readString(SOURCES.resolve(file));
        assertThat(source).as(file + " reads no clock and starts no thread")
                .doesNotContain("System.currentTimeMillis", "System.nanoTime", "new Thread", "Instant.now");
    }
}
