package io.dtm.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Dtm#ensureCommonPool}: on a one- or two-core machine, async stages must run on the
 * common pool, not on a new thread each. Each case runs in a fresh JVM told how many cores it
 * has, since the pool is sized once per JVM.
 */
class CommonPoolTest {

    /** The child JVM: sizes the pool as {@code dtm} does, then reports how async stages run. */
    public static void main(String[] args) throws Exception {
        Dtm.ensureCommonPool();
        String thread = CompletableFuture.supplyAsync(() -> Thread.currentThread().getName()).get(10, TimeUnit.SECONDS);
        System.out.println(ForkJoinPool.getCommonPoolParallelism() + " " + thread);
    }

    @Test
    void twoCoresGetAPoolAndAsyncStagesRunOnIt() throws Exception {
        assertThat(child(2)).startsWith(Dtm.SMALL_MACHINE_COMMON_POOL + " ForkJoinPool.commonPool-worker-");
    }

    @Test
    void oneCoreToo() throws Exception {
        assertThat(child(1)).startsWith(Dtm.SMALL_MACHINE_COMMON_POOL + " ForkJoinPool.commonPool-worker-");
    }

    @Test
    void aSizeTheUserChoseIsKept() throws Exception {
        assertThat(child(2, "-D" + Dtm.COMMON_POOL_PARALLELISM + "=5")).startsWith("5 ForkJoinPool.commonPool-worker-");
    }

    @Test
    void largerMachinesKeepTheJdkDefault() throws Exception {
        assertThat(child(4)).startsWith("3 ForkJoinPool.commonPool-worker-");
    }

    private static String child(int cores, String... extraOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-XX:ActiveProcessorCount=" + cores);
        command.addAll(List.of(extraOptions));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CommonPoolTest.class.getName());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(process.exitValue()).as(out).isZero();
            return out;
        } finally {
            process.destroyForcibly();
        }
    }
}
