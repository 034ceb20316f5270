package io.dtm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** ./dtm runs on Java 25 (bin/java25), and says what to do when there is none, before anything else. */
class JavaSelectionIT {
    private static final Path ROOT = Path.of(System.getProperty("dtm.repo.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path noJdks;

    private record Run(int exitCode, String output) {
    }

    private static Run run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(List.of(command)).directory(ROOT.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), output);
    }

    @Test
    void withoutAJdk25TheLauncherStopsAndSaysHowToGetOne() throws Exception {
        // JAVA_HOME names no JDK, and the directory searched holds none.
        Map<String, String> env = Map.of("JAVA_HOME", noJdks.toString(), "DTM_JVM_DIR", noJdks.toString(),
                "DTM_SKIP_BUILD", "1");
        Run dtm = run(env, ROOT.resolve("dtm").toString(), "--version");

        assertThat(dtm.exitCode).isEqualTo(1);
        assertThat(dtm.output).contains("dtm needs Java 25").contains("has no bin/java")
                .contains("no JDK 25 under " + noJdks).contains("set JAVA_HOME");
    }

    @Test
    void theJdkItFindsIsJava25OrLater() throws Exception {
        Run found = run(Map.of(), ROOT.resolve("bin/java25").toString());
        assertThat(found.exitCode).as(found.output).isZero();
        Path java = Path.of(found.output.strip(), "bin", "java");
        assertThat(Files.isExecutable(java)).isTrue();
        Run version = run(Map.of(), java.toString(), "-XshowSettings:properties", "-version");
        String spec = version.output.lines().filter(l -> l.strip().startsWith("java.specification.version"))
                .findFirst().orElseThrow();
        assertThat(Integer.parseInt(spec.replaceAll("\\D", ""))).isGreaterThanOrEqualTo(25);
    }
}
