package io.dtm.log;

import io.dtm.log.raft.DtmGrpc;
import io.dtm.protocol.log.RecordResult.Disposition;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.dtm.protocol.log.LogRecords.begin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader whose follower is down tries it about once per heartbeat interval, not once per new
 * entry ({@link DtmGrpc}: each try built an append of every entry the follower missed), and the
 * follower catches up as soon as it is back.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SilentFollowerTest {
    private static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    private static final int ENTRIES = 300;

    @TempDir
    Path dir;

    private LocalLogCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aFollowerThatIsDownGetsAHeartbeatNowAndThenNotATryPerEntry() {
        cluster = new LocalLogCluster(dir, 100_000, 8 << 20);
        cluster.startAll();
        String leader = cluster.awaitLeader();
        String down = cluster.aFollower();
        assertThat(cluster.appendAsLeader(begin("before", FOUR, 1)).join().getDisposition())
                .isEqualTo(Disposition.APPLIED);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.server(down).status().getAppliedIndex()
                >= cluster.server(leader).status().getCommitIndex());
        cluster.stop(down);
        long electionMinMs = cluster.config().timeouts().electionMinMs();
        // For its first election timeout away the follower is not silent yet: a try per entry.
        long stoppedAt = System.nanoTime();
        int i = 0;
        while (System.nanoTime() - stoppedAt < TimeUnit.MILLISECONDS.toNanos(2 * electionMinMs)) {
            appendOne("just-down" + i++);
        }

        long failedBefore = failedCalls(leader);
        long started = System.nanoTime();
        for (i = 0; i < ENTRIES; i++) {
            appendOne("while-down" + i);
        }
        long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        long failed = failedCalls(leader) - failedBefore;

        // A heartbeat at most every quarter of the minimum election timeout (Ratis's heartbeat
        // wait). Ratis counts a failed try once or twice (a try per entry counted 630 for 300
        // entries); a few more for rounding.
        long heartbeats = elapsedMs / (electionMinMs / 4) + 1;
        assertThat(failed).as("failed calls to the stopped follower while %d entries were appended one by one in %d ms",
                ENTRIES, elapsedMs).isLessThanOrEqualTo(2 * heartbeats + 6);

        cluster.start(down);
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.server(down).status().getAppliedIndex()
                >= cluster.server(leader).status().getCommitIndex());
    }

    /** Each new entry wakes the leader's appenders, the one of the stopped follower too. */
    private void appendOne(String tid) {
        assertThat(cluster.appendAsLeader(begin(tid, FOUR, 1)).join().getDisposition()).isEqualTo(Disposition.APPLIED);
    }

    /** Calls of {@code leader}'s appenders that failed (Ratis's {@code num_retries}: one per failed call). */
    private static long failedCalls(String leader) {
        long sum = 0;
        for (RatisMetricRegistry r : MetricRegistries.global().getMetricRegistries()) {
            MetricRegistryInfo info = r.getMetricRegistryInfo();
            if (info.getApplicationName().equals("ratis_grpc") && info.getMetricsComponentName().equals("log_appender")
                    && info.getPrefix().startsWith(leader + "@")) {
                sum += RatisMetricsReporting.dropwizard(r).getCounters((name, metric) -> name.endsWith("num_retries"))
                        .values().stream().mapToLong(c -> c.getCount()).sum();
            }
        }
        return sum;
    }
}
