package io.dtm.cli.command;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AotTrainCommandTest {
    @TempDir
    Path out;

    @Test
    void theNodeCacheIsTheLeadersWhicheverNodeLed() throws IOException {
        for (String node : List.of("n1", "n2", "n3")) {
            Files.writeString(out.resolve(node + ".aot"), "cache of " + node);
        }

        AotTrainCommand.keepLeaderCache(List.of("n1", "n2", "n3"), "n2", out);

        assertThat(out.resolve("node.aot")).hasContent("cache of n2");
        assertThat(filesIn(out)).containsExactly("node.aot");
    }

    @Test
    void aFollowersCacheStandsInOnlyWhenTheLeaderWroteNone() throws IOException {
        Files.writeString(out.resolve("n1.aot"), "cache of n1");
        Files.writeString(out.resolve("n3.aot"), "cache of n3");

        AotTrainCommand.keepLeaderCache(List.of("n1", "n2", "n3"), "n2", out);

        assertThat(out.resolve("node.aot")).hasContent("cache of n1");
        assertThat(filesIn(out)).containsExactly("node.aot");
    }

    @Test
    void aNodeCacheLeftFromAnEarlierRunIsReplaced() throws IOException {
        Files.writeString(out.resolve("node.aot"), "stale");
        Files.writeString(out.resolve("n3.aot"), "cache of n3");

        AotTrainCommand.keepLeaderCache(List.of("n1", "n2", "n3"), "n3", out);

        assertThat(out.resolve("node.aot")).hasContent("cache of n3");
    }

    private static List<String> filesIn(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
