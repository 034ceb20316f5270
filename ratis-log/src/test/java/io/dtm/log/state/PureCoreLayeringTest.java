package io.dtm.log.state;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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
            "import io.dtm.protocol.TxnIds;");

    @ParameterizedTest
    @ValueSource(strings = {"TxnLogState.java", "LogClock.java", "InFlightTxn.java", "RetainedOutcome.java",
            "SnapshotFormat.java"})
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
