package io.dtm.cli;

import io.dtm.cli.cluster.ClusterDir;
import io.dtm.cli.cluster.ClusterLauncher;
import io.dtm.cli.load.SampleRequests;
import io.dtm.client.DtmClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.ParticipantsConfig;
import io.dtm.config.ServiceName;
import io.dtm.config.TimeoutsConfig;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.ParticipantClient;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The cluster an integration test runs against, on real processes: three coordinator nodes and four
 * services started by the {@link ClusterLauncher} as {@code dtm cluster start} starts them, once for
 * the test class, in a new temporary directory, on free ports, with a short in-doubt timeout (6 s) so
 * that resolution happens within a test; and a client and connections to it. Every process is
 * stopped after the last test.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProcessClusterHarness {
    static final Duration WAIT = Duration.ofSeconds(90);

    private final String name;
    private final StringWriter launcherOutput = new StringWriter();
    /** The shipping date of every {@link #sampleOrder}. */
    final LocalDate shipOn = LocalDate.now(ZoneOffset.UTC).plusDays(20);

    ClusterDir dir;
    ClusterLauncher launcher;
    ClusterConfig config;
    DtmConnections connections;
    DtmClient client;

    /** {@code name}: the prefix of the cluster's temporary directory. */
    ProcessClusterHarness(String name) {
        this.name = name;
    }

    /** The cluster's configuration, from the harness's; as it is unless a test class needs otherwise. */
    ClusterConfig configure(ClusterConfig base) {
        return base;
    }

    /** The cluster's files; kept when a test fails, to read its logs. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    static Path tempDir;

    @BeforeAll
    void startCluster() throws Exception {
        dir = new ClusterDir(tempDir);
        launcher = new ClusterLauncher(dir, new PrintWriter(launcherOutput, true));
        ClusterConfig base = ClusterConfig.loadDefault().withPorts(FreePorts::next)
                .withTimeouts(new TimeoutsConfig(1_000, 2_000, 10_000, 90_000))
                // Fault injection on: these tests play failing services (dtm faults, SET_FAULTS).
                .withParticipants(new ParticipantsConfig(6_000, ParticipantsConfig.defaults().maxBatch(), true));
        config = launcher.prepare(configure(base));
        launcher.awaitLeader(config, launcher.startMissing(config));
        connections = DtmConnections.of(config, "admin", Duration.ofSeconds(20), "test");
        client = new DtmClient(config, Duration.ofSeconds(20), Duration.ofSeconds(60));
    }

    @AfterAll
    void stopCluster() {
        if (client != null) {
            client.close();
        }
        if (connections != null) {
            connections.close();
        }
        if (launcher != null) {
            launcher.stopAll(Duration.ofSeconds(5));
        }
    }

    /** A four-service order under {@code tid}, the sample requests' {@code number}th, shipped on {@link #shipOn}. */
    SubmitRequest.Builder sampleOrder(String tid, int number) {
        SubmitRequest.Builder r = SubmitRequest.newBuilder().setTid(tid);
        for (ServiceName s : ServiceName.values()) {
            var p = SampleRequests.prepare(s, tid, number, shipOn);
            switch (s) {
                case INVENTORY -> r.setInventory(p.getInventory());
                case PAYMENT -> r.setPayment(p.getPayment());
                case ORDER -> r.setOrder(p.getOrder());
                case SHIPPING -> r.setShipping(p.getShipping());
            }
        }
        return r;
    }

    /** A connection to {@code s}, waiting (up to {@link #WAIT}) for it to be up. */
    ParticipantClient participant(ServiceName s) {
        return await().atMost(WAIT).ignoreExceptions().until(
                () -> connections.connectParticipant(s, config.service(s)).get(5, TimeUnit.SECONDS), c -> true);
    }
}
