package io.dtm.coordinator.sim;

import com.google.protobuf.MessageLite;
import io.dtm.config.ServiceName;
import io.dtm.coordinator.runtime.CoordinatorEngine;
import io.dtm.coordinator.runtime.EngineParticipants;
import io.dtm.participant.InDoubtResolver;
import io.dtm.participant.ParticipantCore;
import io.dtm.participant.domain.DomainServices;
import io.dtm.participant.domain.RecordWriter;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.participant.Ack;
import io.dtm.protocol.participant.Commit;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Rollback;
import io.dtm.protocol.participant.Vote;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The four participant services of a {@link Simulation}: the real {@link ParticipantCore}s and
 * domain services over durable in-memory disks, their in-doubt rule, and the network to them, which
 * drops, duplicates, delays and reorders messages until the simulation heals.
 */
final class SimParticipants implements EngineParticipants {
    static final long PREPARE_TIMEOUT_MS = 200;
    /** In-doubt resolutions of attempts whose Begin the log never applied (what the runs explored). */
    int preparedWithoutBegin;
    static final long IN_DOUBT_MS = 3_000;

    private final Simulation sim;
    private final double dropRate;
    private final double duplicateRate;
    private final Map<ServiceName, Map<String, byte[]>> disks = new EnumMap<>(ServiceName.class);
    private final Map<ServiceName, ParticipantCore> cores = new EnumMap<>(ServiceName.class);

    SimParticipants(Simulation sim, double dropRate, double duplicateRate) {
        this.sim = sim;
        this.dropRate = dropRate;
        this.duplicateRate = duplicateRate;
        for (ServiceName s : ServiceName.values()) {
            disks.put(s, new HashMap<>());
            cores.put(s, boot(s));
        }
    }

    // ------------------------------------------------------------------ the engine's view

    @Override
    public CompletableFuture<Vote> prepare(ServiceName service, Prepare prepare) {
        return rpc(service, ParticipantRequest.newBuilder().setPrepare(prepare).build(), ParticipantResponse::getVote);
    }

    @Override
    public CompletableFuture<Ack> commit(ServiceName service, String attemptId) {
        return rpc(service, ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setAttemptId(attemptId)).build(),
                ParticipantResponse::getAck);
    }

    @Override
    public CompletableFuture<Ack> rollback(ServiceName service, Rollback rollback) {
        return rpc(service, ParticipantRequest.newBuilder().setRollback(rollback).build(), ParticipantResponse::getAck);
    }

    /**
     * One call over the simulated network: the request may be lost, duplicated (the duplicate's reply
     * is lost) or slow, and so may the reply; no answer within the timeout fails the call, as the
     * real client's timeout does.
     */
    private <T> CompletableFuture<T> rpc(ServiceName service, ParticipantRequest request,
            Function<ParticipantResponse, T> body) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        boolean lostRequest = !sim.healed() && sim.random().nextDouble() < dropRate;
        boolean lostReply = !sim.healed() && sim.random().nextDouble() < dropRate;
        long there = sim.delay();
        long back = sim.delay();
        ParticipantResponse[] reply = new ParticipantResponse[1];
        if (!lostRequest) {
            sim.after(there, () -> reply[0] = deliver(service, request));
            if (!sim.healed() && sim.random().nextDouble() < duplicateRate) {
                sim.after(there + sim.delay(), () -> deliver(service, request));
            }
        }
        if (lostRequest || lostReply || there + back >= PREPARE_TIMEOUT_MS) {
            sim.after(PREPARE_TIMEOUT_MS, () -> answer.completeExceptionally(new TimeoutException("timed out")));
            return answer;
        }
        sim.after(there + back, () -> {
            ParticipantResponse r = reply[0];
            if (r == null) {
                answer.completeExceptionally(new TimeoutException(service.id() + " is down"));
            } else if (r.hasError()) {
                answer.completeExceptionally(new RemoteException(r.getError(), service.id()));
            } else {
                answer.complete(body.apply(r));
            }
        });
        return answer;
    }

    private ParticipantResponse deliver(ServiceName service, ParticipantRequest request) {
        ParticipantCore p = cores.get(service);
        if (p == null) {
            return null; // down
        }
        ParticipantResponse r = p.handle(request, sim.now(), false, writer(service));
        sim.debug(service.id() + " got " + request.getBodyCase() + " " + tidOf(request) + " -> "
                + r.toString().replace('\n', ' '));
        return r;
    }

    private static String tidOf(ParticipantRequest r) {
        return r.hasPrepare() ? r.getPrepare().getAttemptId() + " digest " + r.getPrepare().getRequestDigest()
                : r.hasCommit() ? r.getCommit().getAttemptId() : r.hasRollback() ? r.getRollback().getAttemptId() : "";
    }

    // ------------------------------------------------------------------ crashes and the in-doubt rule

    private ParticipantCore boot(ServiceName service) {
        ParticipantCore core = new ParticipantCore(DomainServices.create(service));
        try {
            for (Map.Entry<String, byte[]> e : disks.get(service).entrySet()) {
                core.load(e.getKey(), e.getValue());
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
        }
        core.finishLoading(sim.now(), writer(service));
        return core;
    }

    private RecordWriter writer(ServiceName service) {
        Map<String, byte[]> disk = disks.get(service);
        return new RecordWriter() {
            @Override
            public void put(String key, MessageLite value) {
                disk.put(key, value.toByteArray());
            }

            @Override
            public void delete(String key) {
                disk.remove(key);
            }
        };
    }

    void crash(ServiceName service, long downMs) {
        if (cores.get(service) == null || sim.healed()) {
            return;
        }
        sim.trace(service.id() + " crashes for " + downMs + " ms");
        cores.put(service, null);
        sim.after(downMs, () -> cores.put(service, boot(service)));
    }

    /** Each service's in-doubt rule, every {@code periodMs}: reads from the log, ABORTs through the leader. */
    void resolveInDoubtEvery(long periodMs) {
        for (ServiceName s : ServiceName.values()) {
            every(s, periodMs);
        }
    }

    private void every(ServiceName service, long periodMs) {
        sim.after(periodMs, () -> {
            ParticipantCore p = cores.get(service);
            if (p != null) {
                for (ParticipantCore.InDoubt d : p.preparedSince(sim.now() - IN_DOUBT_MS)) {
                    TxnState state = sim.logOf(d.attemptId()).query(d.attemptId());
                    if (!sim.everBegun(d.attemptId())) {
                        // Prepared on a PREPARE sent beside a Begin the log never applied (PhaseOne):
                        // it must resolve to ABORT through the log, as the invariants then check.
                        preparedWithoutBegin++;
                    }
                    if (state.getOutcome() != Outcome.UNDECIDED) {
                        finish(service, d, state);
                    } else {
                        proposeAbort(service, d);
                    }
                }
            }
            every(service, periodMs);
        });
    }

    /**
     * An in-doubt ABORT goes through the leader's engine, as a node's RESOLVE sends it (the log
     * takes records only from its leader's own path): with no leader, a lost reply or a fenced
     * term, nothing is finished now and the service asks again at its next round.
     */
    private void proposeAbort(ServiceName service, ParticipantCore.InDoubt d) {
        CoordinatorEngine leader = sim.leaderOf(d.attemptId());
        if (leader == null) {
            return; // NOT_LEADER everywhere: an election is on
        }
        leader.proposeAbort(d.attemptId(), service.id() + ": in doubt", "participant:" + service.id())
                .whenComplete((result, error) -> {
                    if (error == null && result.getDisposition() != RecordResult.Disposition.FENCED) {
                        finish(service, d, sim.logOf(d.attemptId()).query(d.attemptId()));
                    }
                });
    }

    private void finish(ServiceName service, ParticipantCore.InDoubt d, TxnState state) {
        ParticipantCore p = cores.get(service);
        if (p == null) {
            return; // crashed meanwhile: it asks again once it is back
        }
        Outcome outcome = InDoubtResolver.outcomeFor(service.id(), d.requestDigest(), state);
        ParticipantRequest r = outcome == Outcome.COMMIT
                ? ParticipantRequest.newBuilder().setCommit(Commit.newBuilder().setAttemptId(d.attemptId())).build()
                : ParticipantRequest.newBuilder().setRollback(Rollback.newBuilder().setAttemptId(d.attemptId())).build();
        p.handle(r, sim.now(), false, writer(service));
    }

    // ------------------------------------------------------------------ what the invariants look at

    /** Every service is up and holds nothing prepared. */
    boolean settled() {
        for (ParticipantCore p : cores.values()) {
            if (p == null || !p.preparedSince(Long.MAX_VALUE).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    ParticipantCore core(ServiceName s) {
        return cores.get(s);
    }

    LocalState stateAt(ServiceName s, String attemptId) {
        return cores.get(s).localTxn(attemptId).getState();
    }
}
