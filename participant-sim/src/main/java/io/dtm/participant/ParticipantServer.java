package io.dtm.participant;

import io.dtm.config.ClusterConfig;
import io.dtm.config.LimitsConfig;
import io.dtm.config.ServiceConfig;
import io.dtm.config.ServiceName;
import io.dtm.participant.domain.DomainServices;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RpcContext;
import io.dtm.protocol.RpcServer;
import io.dtm.protocol.ServerLimits;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.rpc.Access;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.TlsContexts;
import io.dtm.time.SteadyClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One participant service process: its store, its engine, its port, and the in-doubt resolver
 * that asks the coordinator cluster about transactions left prepared.
 */
public final class ParticipantServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ParticipantServer.class);

    private final ServiceName service;
    /** Requests refused for the role in their sender's certificate (PERMISSION_DENIED). */
    private final AtomicLong denials;
    private final ParticipantStore store;
    private final ParticipantEngine engine;
    private final RpcServer<ParticipantRequest, ParticipantResponse> rpc;
    private final ScheduledExecutorService resolverTimer;
    private final DtmConnections connections;
    private final CoordinatorDecisionSource decisions;

    private ParticipantServer(ServiceName service, ParticipantStore store, ParticipantEngine engine,
            RpcServer<ParticipantRequest, ParticipantResponse> rpc, ScheduledExecutorService resolverTimer,
            DtmConnections connections, CoordinatorDecisionSource decisions, AtomicLong denials) {
        this.service = service;
        this.denials = denials;
        this.store = store;
        this.engine = engine;
        this.rpc = rpc;
        this.resolverTimer = resolverTimer;
        this.connections = connections;
        this.decisions = decisions;
    }

    /** Opens (or seeds) the service's store under the configuration's data directory and serves its port. */
    public static ParticipantServer start(ClusterConfig config, ServiceName service) throws IOException {
        return start(config, service, config.participants().maxBatch());
    }

    /** As {@link #start(ClusterConfig, ServiceName)}, with another group-commit bound (1 = off), for measuring. */
    public static ParticipantServer start(ClusterConfig config, ServiceName service, int maxBatch) throws IOException {
        String name = service.id();
        TlsContexts.warnIfOff(config, name);
        ServiceConfig address = config.service(service);
        Path dir = config.serviceDataDir(service);
        // Wall time read once, then the monotonic clock: a clock set back while the service runs
        // does not stall its in-doubt resolution (SteadyClock).
        SteadyClock clock = SteadyClock.ofSystem(0);
        long start = clock.getAsLong();
        ParticipantStore store = ParticipantStore.open(dir);
        ParticipantEngine engine = null;
        DtmConnections connections = null;
        try {
            ParticipantCore core = new ParticipantCore(DomainServices.create(service, store), store,
                    ParticipantCore.DEFAULT_TXN_CACHE);
            core.loadResident();
            ParticipantStore.Batch batch = new ParticipantStore.Batch();
            core.finishLoading(start, batch);
            if (!batch.isEmpty()) {
                store.write(batch);
            }
            if (core.start() == ParticipantCore.Start.SEEDED) {
                LOG.info("[{}] new store in {}: seeded", name, dir);
            } else if (core.start() == ParticipantCore.Start.UPGRADED) {
                LOG.info("[{}] store in {} upgraded: prepared transactions indexed, counts stored", name, dir);
            }
            LOG.info("[{}] store {} loaded: {}", name, dir, core.inspect(start).getStatesMap());
            boolean faultInjection = config.participants().faultInjection();
            FaultInjector faults = FaultInjector.fromConfig(config.service(service).faults(), faultInjection, start,
                    new Random());
            if (faultInjection) {
                LOG.warn("[{}] fault injection is on (participants.faultInjection: true): a test feature; anyone who "
                        + "reaches this port can crash or silence this service", name);
            }
            engine = new ParticipantEngine(name, core, store, faults, clock,
                    () -> System.nanoTime() / 1_000_000, maxBatch);
            ParticipantEngine running = engine;
            Access access = new Access(config);
            AtomicLong denials = new AtomicLong();
            LimitsConfig limits = config.limits();
            RpcServer<ParticipantRequest, ParticipantResponse> rpc = RpcServer
                    .builder(ParticipantRequest.parser(), (request, context) -> {
                        Optional<String> refused = Access.of(request).flatMap(operation -> access.refusal(
                                config.tls().enabled(), context.peerCertificate(), operation));
                        return refused.isPresent() ? denied(name, request, context, refused.get(), denials)
                                : running.submit(request, context.executor());
                    }, ParticipantServer::errorResponse)
                    .name(name)
                    .limits(new ServerLimits(limits.maxConnections(), limits.maxInFlightPerConnection(),
                            limits.idleTimeoutMs()))
                    .tls(TlsContexts.server(config, service.id()).orElse(null))
                    .start(address.host(), address.port());
            // Its in-doubt questions to the nodes go out under its own certificate.
            connections = DtmConnections.of(config, service.id(), Duration.ofMillis(config.timeouts().rpcTimeoutMs()),
                    name + "-in-doubt-rpc");
            CoordinatorDecisionSource decisions = new CoordinatorDecisionSource(config, Access.proposerOf(name), connections);
            long inDoubtMs = config.participants().inDoubtTimeoutMs();
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, name + "-in-doubt");
                t.setDaemon(true);
                return t;
            });
            InDoubtResolver resolver = new InDoubtResolver(name, engine, decisions, inDoubtMs, clock,
                    (task, delayMs) -> {
                        try {
                            timer.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                        } catch (RejectedExecutionException e) {
                            // Closing: nothing is left to retry.
                        }
                    });
            // A quarter of the timeout between scans: nothing stays in doubt much past its timeout. A scan
            // only queues what became in doubt; the resolver works the queue off as fast as the log answers.
            long periodMs = Math.max(100, inDoubtMs / 4);
            timer.scheduleWithFixedDelay(() -> {
                try {
                    resolver.resolveOnce().whenComplete((ok, e) -> {
                        if (e != null) {
                            LOG.warn("[{}] in-doubt scan failed: {}", name, e.toString());
                        }
                    });
                } catch (RuntimeException e) {
                    // A failed scan must not cancel the timer: the next one tries again.
                    LOG.warn("[{}] in-doubt scan failed: {}", name, e.toString());
                }
            }, periodMs, periodMs, TimeUnit.MILLISECONDS);
            LOG.info("[{}] serving on {} (group commit up to {} messages per synced write, in-doubt timeout {} ms)",
                    name, address.address(), maxBatch, inDoubtMs);
            return new ParticipantServer(service, store, engine, rpc, timer, connections, decisions, denials);
        } catch (IOException | RuntimeException e) {
            if (engine != null) {
                engine.close();
            }
            if (connections != null) {
                connections.close();
            }
            store.close();
            throw e;
        }
    }

    public ServiceName service() {
        return service;
    }

    /** Synced writes so far and the PREPARE/COMMIT/ROLLBACK messages they carried. */
    public GroupCommitStats groupCommitStats() {
        return new GroupCommitStats(engine.writes(), engine.writtenMessages(), engine.syncs());
    }

    /** Writes, the messages they carried (their ratio is what group commit bought) and the fsyncs they cost. */
    public record GroupCommitStats(long writes, long messages, long fsyncs) {
        public double messagesPerWrite() {
            return writes == 0 ? 0 : (double) messages / writes;
        }
    }

    /** Requests refused so far because the role in the sender's certificate may not send them. */
    public long permissionDenied() {
        return denials.get();
    }

    private static CompletableFuture<ParticipantResponse> denied(String name, ParticipantRequest request,
            RpcContext context, String why, AtomicLong denials) {
        long n = denials.incrementAndGet();
        if (n == 1 || n % 1_000 == 0) { // a hostile client must not flood the log as well
            LOG.warn("[{}] refused a request from {}: {} ({} refused so far)", name, context, why, n);
        }
        return CompletableFuture.completedFuture(ParticipantResponse.newBuilder().setRequestId(request.getRequestId())
                .setError(ErrorCode.PERMISSION_DENIED.toProto(why)).build());
    }

    private static ParticipantResponse errorResponse(ParticipantRequest request, Throwable error) {
        return ParticipantResponse.newBuilder().setRequestId(request.getRequestId())
                .setError(ErrorCode.INTERNAL.toProto("internal error: " + error)).build();
    }

    @Override
    public void close() {
        LOG.info("[{}] stopping", service.id());
        resolverTimer.shutdownNow();
        rpc.close();
        engine.close();
        decisions.close();
        connections.close();
        store.close();
        LOG.info("[{}] stopped", service.id());
    }
}
