package io.dtm.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.HdrHistogram.Histogram;

/**
 * What one Narayana baseline run measured.
 *
 * <p>Throughput and latency cover only transactions begun inside the measured window; the
 * resource counts and {@code totalCommitted} cover the whole run, warm-up included, so that they
 * can be checked against each other.
 *
 * @param version         Narayana's version
 * @param concurrency     worker threads
 * @param durationSeconds length of the measured window, until the last of its transactions ended
 * @param committed       transactions begun in the window (every one committed, or the run fails)
 * @param latencyMicros   begin-to-commit latency of those transactions
 * @param totalCommitted  transactions committed in the whole run
 * @param resources       calls the no-op resources received in the whole run
 * @param storeDir        Narayana's object store directory
 */
public record BaselineResult(String version, int concurrency, double durationSeconds, long committed,
        Histogram latencyMicros, long totalCommitted, ResourceLedger.Counts resources, Path storeDir) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** The system measured, as named in the JSON output. */
    public static final String SYSTEM = "narayana";

    public double committedPerSec() {
        return committed / durationSeconds;
    }

    /** The latency at {@code percentile} (0-100), in milliseconds. */
    public double latencyMs(double percentile) {
        return latencyMicros.getValueAtPercentile(percentile) / 1000.0;
    }

    public double maxMs() {
        return latencyMicros.getMaxValue() / 1000.0;
    }

    /** One JSON object, on one line. */
    public String toJson() {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("system", SYSTEM);
        o.put("version", version);
        o.put("concurrency", concurrency);
        o.put("durationSeconds", durationSeconds);
        o.put("committed", committed);
        o.put("committedPerSec", committedPerSec());
        o.put("p50Ms", latencyMs(50));
        o.put("p90Ms", latencyMs(90));
        o.put("p99Ms", latencyMs(99));
        o.put("p999Ms", latencyMs(99.9));
        o.put("maxMs", maxMs());
        return o.toString();
    }

    /** A few lines for a person. */
    public String toText() {
        return String.format("%s %s: 4 no-op XA resources per transaction, concurrency %d, %.1f s measured%n"
                        + "  committed/s   %,10.0f   (%,d transactions)%n"
                        + "  latency       p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms%n",
                SYSTEM, version, concurrency, durationSeconds, committedPerSec(), committed,
                latencyMs(50), latencyMs(90), latencyMs(99), latencyMs(99.9), maxMs());
    }
}
