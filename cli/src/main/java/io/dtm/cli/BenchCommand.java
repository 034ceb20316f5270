package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.LogConfig;
import io.dtm.log.TxnLogClient;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "bench",
        description = {"Load generator against a running cluster.",
            "--log-only pushes the records of a transaction (Begin, Decide, End) through the replicated log,",
            "with no participants: the log's own limit. Full two-phase-commit load arrives with the coordinator."},
        footer = {"", "Examples:",
            "  ./dtm cluster start && ./dtm bench --log-only --duration 30s",
            "  ./dtm bench --log-only --no-group-commit --concurrency 64 --json",
            "", "Throughput on the JVM settles only after 30-40 s of load: keep --warmup long when comparing runs."},
        mixinStandardHelpOptions = true)
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--log-only", description = "Drive the replicated log alone (required for now).")
    boolean logOnly;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "Measured time. Default: ${DEFAULT-VALUE}.")
    Duration duration;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "10s", converter = DurationConverter.class,
            description = "Unmeasured load before measuring. Default: ${DEFAULT-VALUE}.")
    Duration warmup;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "64",
            description = "Transactions in flight (closed loop). Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--no-group-commit",
            description = "One record per Raft entry (entries still pipelined), to measure what group commit buys.")
    boolean noGroupCommit;

    @Option(names = "--json", description = "Print one JSON object with the results.")
    boolean json;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!logOnly) {
            throw new UserException("only --log-only is available yet: the two-phase-commit load needs the coordinator"
                    + " engine, which is not built yet. Try ./dtm bench --log-only", 2);
        }
        if (concurrency < 1) {
            throw new UserException("--concurrency must be at least 1", 2);
        }
        ClusterConfig config = withGroupCommit(options.load(), !noGroupCommit, concurrency);
        LogLoad.Result result;
        try (TxnLogClient client = TxnLogClient.connect(config, "bench")) {
            String prefix = "bench-" + Long.toString(System.currentTimeMillis(), 36) + "-";
            result = new LogLoad(client, prefix).run(concurrency, warmup, duration);
        }
        print(result);
        return result.transactions() > 0 ? 0 : 1;
    }

    /** Group commit off means one record per entry, with as many entries in flight as transactions. */
    static ClusterConfig withGroupCommit(ClusterConfig config, boolean on, int concurrency) {
        GroupCommitConfig gc = config.log().groupCommit();
        GroupCommitConfig chosen = on ? gc : new GroupCommitConfig(1, gc.maxDelayMicros(), Math.min(concurrency, 256));
        LogConfig log = new LogConfig(config.log().snapshotEveryEntries(), config.log().segmentSizeBytes(),
                config.log().retention(), chosen);
        return config.withLog(log);
    }

    private void print(LogLoad.Result r) {
        PrintWriter out = spec.commandLine().getOut();
        Histogram h = r.recordLatencyMicros();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("mode", "log-only");
            o.put("groupCommit", !noGroupCommit);
            o.put("concurrency", concurrency);
            o.put("durationSeconds", r.seconds());
            o.put("transactions", r.transactions());
            o.put("transactionsPerSecond", r.transactionsPerSecond());
            o.put("recordsPerSecond", r.recordsPerSecond());
            o.put("recordsPerEntry", r.recordsPerEntry());
            o.put("recordLatencyMs", latencies(h));
            o.put("failures", r.failures());
            out.println(Json.write(o));
        } else {
            out.printf("log-only, group commit %s, concurrency %d, %.1f s measured after %s warm-up%n",
                    noGroupCommit ? "off" : "on", concurrency, r.seconds(), warmup);
            out.printf("  transactions/s  %,10.0f   (3 records each)%n", r.transactionsPerSecond());
            out.printf("  records/s       %,10.0f%n", r.recordsPerSecond());
            out.printf("  records/entry   %10.1f%n", r.recordsPerEntry());
            out.printf("  record latency  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
                    ms(h, 50), ms(h, 90), ms(h, 99), ms(h, 99.9), h.getMaxValue() / 1000.0);
            if (!r.failures().isEmpty()) {
                out.println("  failures        " + r.failures());
            }
        }
        out.flush();
    }

    static Map<String, Double> latencies(Histogram h) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("p50", ms(h, 50));
        m.put("p90", ms(h, 90));
        m.put("p99", ms(h, 99));
        m.put("p999", ms(h, 99.9));
        m.put("max", h.getMaxValue() / 1000.0);
        return m;
    }

    static double ms(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }
}
