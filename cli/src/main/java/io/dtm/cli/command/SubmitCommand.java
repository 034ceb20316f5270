package io.dtm.cli.command;

import io.dtm.cli.Json;
import io.dtm.cli.submit.SubmitPipeline;
import io.dtm.cli.UserException;
import io.dtm.client.DtmClient;
import io.dtm.config.ClusterConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

@Command(name = "submit",
        description = {"Run transactions read as JSON lines and print each one's final outcome as a JSON line.",
            "Input, one transaction per line (any non-empty subset of the services; expectedVersion optional):",
            "  {\"tid\":\"t-1\",\"services\":{\"inventory\":{\"items\":[{\"sku\":\"sku-0001\",\"qty\":2,\"expectedVersion\":3}]},",
            "   \"payment\":{\"account\":\"acct-0001\",\"card\":\"4111111111111111\",\"expiry\":\"12/30\",\"amountCents\":2500},",
            "   \"order\":{\"orderId\":\"o-1\",\"customer\":\"acct-0001\",\"lines\":[{\"sku\":\"sku-0001\",\"qty\":2,\"priceCents\":1250}]},",
            "   \"shipping\":{\"orderId\":\"o-1\",\"address\":{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"zip\":\"12345\",",
            "   \"country\":\"US\"},\"date\":\"2026-12-24\"}}}",
            "Output, one line per transaction, in completion order: tid, status (COMMITTED, ABORTED, REJECTED,",
            "OVERLOADED, UNKNOWN), error (absent when committed), participants (vote, code, message), attempts,",
            "latencyMs, line. OVERLOADED: the leader had no room for it until --timeout (it is retried until then);",
            "nothing was logged, submit it again later. UNKNOWN: no outcome by --timeout; resubmit the tid later.",
            "A malformed line is REJECTED with its line number and the reason; the stream goes on.",
            "Exit code 0 when the stream was processed, whatever the outcomes; 3 when no coordinator is reachable;",
            "2 for a bad option or a file that cannot be read. A progress line goes to stderr when it is a terminal."},
        footer = {"", "Examples:",
            "  ./dtm submit orders.jsonl > outcomes.jsonl",
            "  cat orders.jsonl | ./dtm submit - --concurrency 128",
            "  ./dtm submit orders.jsonl | jq -r 'select(.status != \"COMMITTED\") | \"\\(.tid) \\(.error)\"'",
            "  ./dtm demo --keep                  leaves a sample stream, orders.jsonl, in the directory it prints"},
        mixinStandardHelpOptions = true)
public final class SubmitCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", arity = "0..1", defaultValue = "-",
            description = "JSON lines to run; - (the default) reads standard input.")
    String file;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "64",
            description = "Transactions in flight at once. Default: ${DEFAULT-VALUE}.")
    int concurrency;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s", converter = DurationConverter.class,
            description = "How long one transaction may take, retries after failovers and overloads included; past it "
                    + "its status is UNKNOWN (never a guess), or OVERLOADED if the leader still had no room for it. "
                    + "Default: ${DEFAULT-VALUE}.")
    Duration timeout;

    @Mixin
    ConfigOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1) {
            throw new UserException("--concurrency must be at least 1", 2);
        }
        ClusterConfig config = options.load();
        PrintWriter out = spec.commandLine().getOut();
        boolean terminal = Boolean.getBoolean("dtm.stderr.tty");
        Duration perRequest = Duration.ofMillis(config.coordinator().transactionTimeoutMs() + 5_000);
        try (Reader input = open(file)) {
            options.requireCoordinator(config);
            run(config, input, out, terminal, perRequest);
        }
        return 0;
    }

    private void run(ClusterConfig config, Reader input, PrintWriter out, boolean terminal, Duration perRequest)
            throws IOException, InterruptedException {
        // As many places in the client as the pipeline keeps in flight, so that the client's own bound
        // never turns a line away (at most one waits a moment while the place it frees is handed on).
        try (DtmClient client = new DtmClient(config, perRequest, timeout, concurrency)) {
            SubmitPipeline pipeline = new SubmitPipeline(client, concurrency,
                    (line, request, result, json) -> out.println(Json.write(json)));
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "submit-progress");
                t.setDaemon(true);
                return t;
            });
            long start = System.nanoTime();
            ticker.scheduleAtFixedRate(() -> {
                synchronized (pipeline) {
                    out.flush();
                }
                if (terminal) {
                    progress(pipeline, start);
                }
            }, 200, 200, TimeUnit.MILLISECONDS);
            try {
                pipeline.run(input);
            } finally {
                ticker.shutdownNow();
            }
            out.flush();
            if (terminal) {
                progress(pipeline, start);
                System.err.println();
            }
        }
    }

    private static void progress(SubmitPipeline p, long startNanos) {
        double seconds = Math.max(0.001, (System.nanoTime() - startNanos) / 1e9);
        long overloaded = p.overloaded();
        System.err.printf("\r%,d done, %,.0f/s, %,d committed, %,d aborted%s ", p.done(), p.done() / seconds,
                p.committed(), p.aborted(), overloaded == 0 ? "" : String.format(", %,d overloaded", overloaded));
        System.err.flush();
    }

    /** The input as UTF-8; bytes that are not UTF-8 become U+FFFD, for that line's checks to refuse, not the stream. */
    private static Reader open(String file) throws IOException {
        if (file.equals("-")) {
            return utf8(System.in, "standard input");
        }
        if (Files.isDirectory(Path.of(file))) {
            throw new UserException(file + " is a directory; give a file of JSON lines, or - for standard input", 2);
        }
        try {
            return utf8(Files.newInputStream(Path.of(file)), file);
        } catch (NoSuchFileException e) {
            throw new UserException("no such file: " + file, 2);
        } catch (IOException e) {
            throw new UserException("cannot read " + file + ": " + e.getMessage(), 2);
        }
    }

    /**
     * {@code raw} read as UTF-8. A stream that opens with UTF-16's byte order mark (as Windows tools
     * save text) is refused whole: read as UTF-8, every line of it would be malformed.
     */
    private static Reader utf8(InputStream raw, String name) throws IOException {
        BufferedInputStream in = new BufferedInputStream(raw);
        in.mark(2);
        int first = in.read();
        int second = in.read();
        in.reset();
        if ((first == 0xFF && second == 0xFE) || (first == 0xFE && second == 0xFF)) {
            in.close();
            throw new UserException(name + " is UTF-16 (it starts with a UTF-16 byte order mark); dtm submit reads"
                    + " UTF-8: convert it first, e.g. iconv -f UTF-16 -t UTF-8 " + (name.equals("standard input") ? "FILE" : name), 2);
        }
        return new InputStreamReader(in, StandardCharsets.UTF_8);
    }
}
