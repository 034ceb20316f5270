package io.dtm.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Command line of the Narayana baseline ({@link BaselineRun}): parses the options, runs, prints.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks-VERSION.jar:benchmarks/target/lib/* io.dtm.bench.NarayanaBaseline \
 *     --concurrency 8 --warmup 20 --duration 20 [--store DIR] [--json]
 * </pre>
 */
@Command(name = "narayana-baseline", mixinStandardHelpOptions = true,
        description = {"Two-phase commit of four no-op XA resources through Narayana JTA with its default durable",
            "object store, closed loop: what an embedded Java transaction manager achieves, for comparison",
            "with `dtm bench`."},
        footer = {"", "Logs go to standard error; with --json, standard output carries one JSON object only."})
public final class NarayanaBaseline implements Callable<Integer> {

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "8",
            description = "Threads, each running one transaction after another. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "20",
            description = "Measured time. Default: ${DEFAULT-VALUE}.")
    int durationSeconds;

    @Option(names = "--warmup", paramLabel = "SECONDS", defaultValue = "10",
            description = "Unmeasured load before measuring. Default: ${DEFAULT-VALUE}.")
    int warmupSeconds;

    @Option(names = "--store", paramLabel = "DIR",
            description = "Narayana's object store directory (kept). Default: a temporary directory, deleted after.")
    Path store;

    @Option(names = "--json", description = "Print one JSON object with the results.")
    boolean json;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new NarayanaBaseline()).execute(args));
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        Path storeDir = store != null ? store : Files.createTempDirectory("narayana-baseline-");
        BaselineResult result;
        try {
            result = BaselineRun.run(options(storeDir));
        } finally {
            BaselineRun.shutdown();
            if (store == null) {
                deleteTree(storeDir);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(result.toJson());
        } else {
            out.print(result.toText());
            out.printf("  object store  %s%s%n", storeDir, store == null ? " (temporary, deleted)" : "");
        }
        out.flush();
        return result.committed() > 0 ? 0 : 1;
    }

    private BaselineOptions options(Path storeDir) {
        try {
            return new BaselineOptions(concurrency, durationSeconds, warmupSeconds, storeDir);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
