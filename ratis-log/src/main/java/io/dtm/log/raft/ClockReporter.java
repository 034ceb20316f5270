package io.dtm.log.raft;

import io.dtm.config.ClusterConfig;
import io.dtm.protocol.log.RecordBatch;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Tells the log this node's clock: every {@link #INTERVAL_MS} it appends a batch without records,
 * only the node's id and its clock readings ({@link ClockStamp}). Log time moves by what a
 * majority of the members' clocks say has passed ({@link io.dtm.log.state.TxnLogState}), and only
 * the leader seals batches of records, so without these reports followers' clocks would never be
 * heard and log time would stand still.
 *
 * <p>Each group the node is a member of hears the report: a group's log time is made of its own
 * members' clocks.
 *
 * <p>Reports go through a Raft client per group (to whichever node leads it), blocking the reporter's own
 * thread, with a short retry budget: a report that cannot be appended is dropped, logged at debug,
 * and the next one carries a fresh reading; a reading applied late could only hold log time back.
 * Blocking, not Ratis's ordered async API: there, one request that runs out of retries (no leader
 * yet, at startup) closes the client's window for good, and every later report would fail.
 * Reports never overlap: the next is due an interval after the previous one returned.
 */
public final class ClockReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClockReporter.class);
    /**
     * 2 s: log time then trails the members' clocks by a few seconds at most, nothing next to
     * retention ages of minutes to hours; and three nodes add 1.5 tiny entries a second, nothing
     * next to the thousands of a loaded log.
     */
    static final long INTERVAL_MS = 2_000;
    private static final int SEND_ATTEMPTS = 5;
    private static final long RETRY_SLEEP_MS = 200;

    private final String nodeId;
    private final LongSupplier clockMs;
    /** The groups the node holds now (it may join or leave some while it runs). */
    private final Supplier<List<Integer>> hosted;
    /** Makes the Raft client of a group, on its first report. */
    private final IntFunction<RaftClient> newClient;
    /** Only the timer thread touches it (and close, after the timer stopped). */
    private final Map<Integer, RaftClient> clients = new HashMap<>();
    private final ScheduledExecutorService timer;

    private ClockReporter(String nodeId, LongSupplier clockMs, Supplier<List<Integer>> hosted,
            IntFunction<RaftClient> newClient) {
        this.nodeId = nodeId;
        this.clockMs = clockMs;
        this.hosted = hosted;
        this.newClient = newClient;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, nodeId + "-clock-report");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts reporting {@code nodeId}'s clock to each log group it is a member of; the first report
     * goes after one interval.
     */
    public static ClockReporter start(ClusterConfig config, String nodeId, LongSupplier clockMs,
            Supplier<List<Integer>> hosted, RaftNodes raftNodes) {
        LogGroups groups = LogGroups.of(config);
        // The group as first placed: the client finds its leader among those peers, then follows it.
        IntFunction<RaftClient> newClient = g -> RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(groups.group(g))
                .setProperties(RaftSettings.client(config))
                .setParameters(RaftSettings.parameters(config, nodeId, raftNodes))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(SEND_ATTEMPTS,
                        RaftSettings.ms(RETRY_SLEEP_MS)))
                .build();
        ClockReporter reporter = new ClockReporter(nodeId, clockMs, hosted, newClient);
        reporter.timer.scheduleWithFixedDelay(reporter::report, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
        return reporter;
    }

    private void report() {
        List<Integer> now = hosted.get();
        clients.keySet().removeIf(g -> {
            if (now.contains(g)) {
                return false;
            }
            closeQuietly(clients.get(g));
            return true;
        });
        for (int g : now) {
            if (Thread.currentThread().isInterrupted()) {
                return; // closing
            }
            report(clients.computeIfAbsent(g, newClient::apply));
        }
    }

    private void report(RaftClient client) {
        try {
            RecordBatch batch = ClockStamp.stamp(RecordBatch.newBuilder(), nodeId, clockMs).build();
            RaftClientReply reply = client.io()
                    .send(Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.toByteArray())));
            if (!reply.isSuccess()) {
                LOG.debug("[{}] clock report to {} not appended, skipped: {}", nodeId, client.getGroupId(),
                        reply.getException());
            }
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt(); // closing
        } catch (IOException e) {
            LOG.debug("[{}] clock report to {} not appended, skipped: {}", nodeId, client.getGroupId(), e.toString());
        } catch (RuntimeException e) {
            // Never let one failure cancel the schedule: the next report may well go through.
            LOG.warn("[{}] clock report to {} failed, skipped", nodeId, client.getGroupId(), e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        clients.values().forEach(this::closeQuietly);
        clients.clear();
    }

    private void closeQuietly(RaftClient client) {
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("[{}] closing the clock reporter's Raft client of {} failed", nodeId, client.getGroupId(), e);
        }
    }
}
