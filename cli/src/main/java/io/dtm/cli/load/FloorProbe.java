package io.dtm.cli.load;

import io.dtm.cli.CliConnections;
import io.dtm.cli.load.LatencyFloor.Piece;
import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.log.TxnLogClient;
import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnRecord;
import io.dtm.rpc.ClusterStatusReader;
import io.dtm.rpc.ClusterView;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.ParticipantClient;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Measures the pieces of a {@link LatencyFloor} on a running cluster, one request at a time and one
 * piece after another, each for a short fixed time: nothing else of ours is in flight, so each is
 * what that step costs alone. Run before a load, on a cluster the load has not warmed yet.
 *
 * <p>A piece that cannot be measured (a service down, no leader) is reported unmeasured with the
 * reason; the probe itself never fails.
 */
public final class FloorProbe {
    /** How long each piece is measured. */
    public record Budget(Duration fsync, Duration roundTrip, Duration logAppend, Duration preparePerService) {
        /** About 7.5 s for a four-service run, 3.5 s for --log-only, 2 s for --participant. */
        public static final Budget DEFAULT = new Budget(Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofMillis(1_500), Duration.ofSeconds(1));
    }

    /**
     * Synced 4 KiB blocks measured at most, 10 MiB (and half as many before, not counted), however
     * fast the disk: the file only grows.
     */
    static final int MAX_FSYNCS = 2_560;
    private static final int BLOCK = 4096;

    private final ClusterConfig config;
    private final Budget budget;
    private final Duration requestTimeout;
    private final String tidPrefix = "bench-floor-" + Long.toString(System.currentTimeMillis(), 36) + "-";
    private final LocalDate today = LocalDate.now(ZoneOffset.UTC);

    public FloorProbe(ClusterConfig config, Budget budget) {
        this.config = config;
        this.budget = budget;
        this.requestTimeout = Duration.ofMillis(config.timeouts().rpcTimeoutMs());
    }

    /** Every piece of a two-phase commit across {@code services}, and the floor they make. */
    public LatencyFloor twoPhase(List<ServiceName> services) {
        Fsync fsync = fsync(config.dataDir(), budget.fsync());
        try (DtmConnections connections = connections()) {
            Piece roundTrip = roundTrip(connections);
            Piece logAppend = logAppend();
            Map<String, Piece> prepare = new LinkedHashMap<>();
            for (ServiceName s : services) {
                prepare.put(s.id(), prepare(connections, s));
            }
            return new LatencyFloor(fsync.piece, fsync.dir, fsync.note, roundTrip, logAppend, prepare,
                    services.size() == 1);
        }
    }

    /** What the log-only load stands on: fsync, round trip, log append. */
    public LatencyFloor logOnly() {
        Fsync fsync = fsync(config.dataDir(), budget.fsync());
        try (DtmConnections connections = connections()) {
            return new LatencyFloor(fsync.piece, fsync.dir, fsync.note, roundTrip(connections), logAppend(), Map.of(),
                    false);
        }
    }

    /** What one service's load stands on: fsync, its PREPARE. */
    public LatencyFloor participant(ServiceName service) {
        Fsync fsync = fsync(config.dataDir(), budget.fsync());
        try (DtmConnections connections = connections()) {
            return new LatencyFloor(fsync.piece, fsync.dir, fsync.note, null, null,
                    Map.of(service.id(), prepare(connections, service)), false);
        }
    }

    /** As a coordinator node: the probe sends the PREPAREs a coordinator sends (and reads node status, as anyone may). */
    private DtmConnections connections() {
        return CliConnections.openAsNode(config, requestTimeout, "bench-floor");
    }

    record Fsync(Piece piece, String dir, String note) {
    }

    /**
     * 4 KiB appended to a new file and forced (data and metadata), one after another, in the
     * cluster's data directory: the disk the processes sync to. When that directory is not here
     * (the cluster runs elsewhere) or not writable, in the system's temporary directory, and says so.
     */
    static Fsync fsync(Path dataDir, Duration budget) {
        Path dir = dataDir.toAbsolutePath().normalize();
        String note = null;
        Path file = null;
        if (!Files.isDirectory(dir)) {
            note = "the cluster's data directory " + dir + " is not on this machine";
        } else {
            try {
                file = Files.createTempFile(dir, "dtm-bench-fsync-", ".tmp");
            } catch (IOException | SecurityException e) {
                note = "the cluster's data directory " + dir + " is not writable (" + reason(e) + ")";
            }
        }
        if (file == null) {
            dir = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
            try {
                file = Files.createTempFile(dir, "dtm-bench-fsync-", ".tmp");
            } catch (IOException | SecurityException again) {
                return new Fsync(Piece.unmeasured("no file to write in " + dir + ": " + reason(again)), dir.toString(),
                        note);
            }
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            byte[] bytes = new byte[BLOCK];
            ThreadLocalRandom.current().nextBytes(bytes);
            ByteBuffer block = ByteBuffer.wrap(bytes);
            Piece piece = sample(budget, MAX_FSYNCS, micros -> {
                long start = System.nanoTime();
                block.rewind();
                while (block.hasRemaining()) {
                    channel.write(block);
                }
                channel.force(true);
                micros.recordValue(since(start));
                return DONE;
            });
            return new Fsync(piece, dir.toString(), note);
        } catch (IOException e) {
            return new Fsync(Piece.unmeasured(reason(e)), dir.toString(), note);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // Left behind in a directory of the cluster's: harmless, and named for what it is.
            }
        }
    }

    /**
     * A node's status, which it answers on its event loop from memory (no log read, no disk): the
     * network and framing cost of a request and its reply. Asked of the leader, which is the node
     * that answers a client's transaction.
     */
    private Piece roundTrip(DtmConnections connections) {
        try {
            ClusterView view = ClusterStatusReader.read(config, connections);
            String nodeId = view.leader().map(s -> s.getNodeId()).or(() -> view.nodes().stream()
                    .filter(ClusterView.NodeView::reachable).map(ClusterView.NodeView::id).findFirst()).orElse(null);
            if (nodeId == null) {
                return Piece.unmeasured("no node reachable at " + config.clientAddresses());
            }
            try (NodeClient node = await(connections.connect(config.node(nodeId)))) {
                return sample(budget.roundTrip(), Integer.MAX_VALUE, micros -> {
                    long start = System.nanoTime();
                    return node.status().thenRun(() -> micros.recordValue(since(start)));
                });
            }
        } catch (Exception e) {
            return Piece.unmeasured(reason(e));
        }
    }

    /**
     * The records of whole transactions (Begin, Decide COMMIT, End, as the log-only load writes
     * them, so that none is left in flight in the log), each appended once the one before is
     * applied; every record is a sample. Through a Raft client of this process, as probes (applied to
     * nothing), so each also pays a hop to the leader that the leader's own appends do not.
     */
    private Piece logAppend() {
        try (TxnLogClient log = TxnLogClient.connect(config, "bench-floor")) {
            long[] n = {0};
            return sample(budget.logAppend(), Integer.MAX_VALUE, micros -> {
                String tid = tidPrefix + "log-" + ++n[0];
                return timedAppend(log, LogRecords.begin(tid, LogLoad.FOUR, System.currentTimeMillis() + 30_000), micros)
                        .thenCompose(r -> timedAppend(log, LogRecords.decide(tid, Outcome.COMMIT, "", "bench-floor"), micros))
                        .thenCompose(r -> timedAppend(log, LogRecords.end(tid), micros));
            });
        } catch (Exception e) {
            return Piece.unmeasured(reason(e));
        }
    }

    private CompletableFuture<RecordResult> timedAppend(TxnLogClient log, TxnRecord record, Histogram micros) {
        long start = System.nanoTime();
        // The log client does not give up on its own (Ratis retries); the probe does.
        return log.appendProbe(record).orTimeout(requestTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((r, error) -> {
                    if (error == null) {
                        micros.recordValue(since(start));
                    }
                });
    }

    /**
     * PREPAREs of ordinary requests at one service, each committed (untimed) before the next, as
     * the participant load does; a sample is a PREPARE that voted YES, the synced write a
     * transaction waits for.
     */
    private Piece prepare(DtmConnections connections, ServiceName service) {
        try (ParticipantClient client = await(connections.connectParticipant(service, config.service(service)))) {
            long[] n = {0};
            String[] lastNo = {null};
            Piece piece = sample(budget.preparePerService(), Integer.MAX_VALUE,
                    micros -> prepareAndFinish(client, service, tidPrefix + service.id() + "-" + ++n[0], lastNo, micros));
            if (!piece.measured() && lastNo[0] != null) {
                return Piece.unmeasured("every PREPARE voted NO, e.g. " + lastNo[0]);
            }
            return piece;
        } catch (Exception e) {
            String address = config.service(service).address();
            String why = reason(e);
            return Piece.unmeasured(service.id() + (why.contains(address) ? "" : " at " + address) + ": " + why);
        }
    }

    /**
     * PREPAREs {@code tid}, records the PREPARE's time if it voted YES, then commits it (or rolls it
     * back on NO, noted in {@code lastNo}: nothing is left prepared).
     */
    private CompletableFuture<?> prepareAndFinish(ParticipantClient client, ServiceName service, String tid,
            String[] lastNo, Histogram micros) {
        // Random records and dates, as the participant load picks them, so that attempts rarely meet.
        ThreadLocalRandom random = ThreadLocalRandom.current();
        var request = SampleRequests.prepare(service, tid, random.nextInt(1000), today.plusDays(1 + random.nextInt(365)));
        long start = System.nanoTime();
        return client.prepare(request).thenCompose(vote -> {
            if (vote.getYes()) {
                micros.recordValue(since(start));
                return client.commit(tid);
            }
            lastNo[0] = vote.getCode() + ": " + vote.getMessage();
            return client.rollback(tid);
        });
    }

    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * One sampling round: a request (or a few in sequence), each recorded in microseconds; the
     * future completes when the round is over.
     */
    @FunctionalInterface
    interface Round {
        CompletableFuture<?> run(Histogram micros) throws Exception;
    }

    /**
     * Runs {@code round} after round until {@code budget} is spent or {@code maxSamples} are taken;
     * a failure ends the piece. The first third of the time is not counted (and takes at most half
     * as many samples): a new connection's first requests, in a JVM that has not compiled their
     * code yet, cost many times what the same requests cost a few hundred later. The counted two
     * thirds start when those are over, however long the first requests took (a new Raft client's
     * first append can take longer than the whole budget).
     *
     * <p>Each next round starts in the callback of the one before, on the thread that completed
     * it, as the loads chain their requests: a round that waited on this thread instead would add
     * two thread wake-ups to every sample, which on a busy machine cost more than a round trip.
     */
    static Piece sample(Duration budget, int maxSamples, Round round) {
        Sampling sampling = new Sampling(budget, maxSamples, round);
        sampling.next();
        try {
            // Every request of a round has a timeout of its own; this bound is only a backstop.
            sampling.done.get(budget.toMillis() + 120_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Piece.unmeasured("interrupted");
        } catch (ExecutionException | TimeoutException e) {
            long counted = sampling.counted();
            return Piece.unmeasured(reason(e) + (counted > 0 ? " (after " + counted + " samples)" : ""));
        }
        return Piece.of(sampling.micros);
    }

    /** The state of one {@link #sample}: its rounds run one at a time, each after the one before completed. */
    private static final class Sampling {
        final Histogram micros = new Histogram(3);
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final long budgetNanos;
        private final int maxSamples;
        private final Round round;
        private final long warmEnd;
        private boolean warming = true;
        private long end;

        Sampling(Duration budget, int maxSamples, Round round) {
            this.budgetNanos = budget.toNanos();
            this.maxSamples = maxSamples;
            this.round = round;
            this.warmEnd = System.nanoTime() + budgetNanos / 3;
        }

        /** Samples of the counted part; read once {@link #done} completed. */
        long counted() {
            return warming ? 0 : micros.getTotalCount();
        }

        /** Starts rounds until one is still running (its callback goes on) or the piece is over. */
        void next() {
            // A loop rather than a call per round from the callback: rounds that are over at once
            // (the fsyncs) must not nest one call deeper each.
            while (true) {
                long now = System.nanoTime();
                if (warming && (now >= warmEnd || micros.getTotalCount() >= maxSamples / 2)) {
                    warming = false;
                    micros.reset();
                    end = now + budgetNanos - budgetNanos / 3;
                }
                if (!warming && (now >= end || micros.getTotalCount() >= maxSamples)) {
                    done.complete(null);
                    return;
                }
                CompletableFuture<?> running;
                try {
                    running = round.run(micros);
                } catch (Exception e) {
                    done.completeExceptionally(e);
                    return;
                }
                if (!running.isDone()) {
                    running.whenComplete((r, error) -> {
                        if (error != null) {
                            done.completeExceptionally(error);
                        } else {
                            next();
                        }
                    });
                    return;
                }
                if (running.isCompletedExceptionally()) {
                    running.whenComplete((r, error) -> done.completeExceptionally(error));
                    return;
                }
            }
        }
    }

    private <T> T await(Future<T> future) throws Exception {
        try {
            return future.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new TimeoutException("no answer within " + requestTimeout.toMillis() + " ms");
        }
    }

    /** Microseconds since {@code startNanos}, at least 1 (a histogram's floor). */
    private static long since(long startNanos) {
        return Math.max(1, (System.nanoTime() - startNanos) / 1_000);
    }

    /** The innermost cause, as a person would read it. */
    static String reason(Throwable e) {
        Throwable cause = e;
        while ((cause instanceof ExecutionException || cause instanceof CompletionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        if (message == null || message.isBlank()) {
            return cause.getClass().getSimpleName();
        }
        // A file system error's message is only the path: say what went wrong with it.
        return cause instanceof java.nio.file.FileSystemException ? cause.getClass().getSimpleName() + ": " + message
                : message;
    }
}
