package io.dtm.jepsen.run;

import io.dtm.config.NodeConfig;
import io.dtm.config.ServiceName;
import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.Failures;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.participant.CrashPoint;
import io.dtm.protocol.participant.Faults;
import io.dtm.protocol.participant.PreparedTxn;
import io.dtm.rpc.DtmConnections;
import io.dtm.rpc.NodeClient;
import io.dtm.rpc.ParticipantClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A hostile client with a valid {@code client} certificate of the cluster: it knows the attempts
 * the services hold prepared right now (as if it had learned them elsewhere) and tries what would
 * break atomicity or availability if the servers let it: COMMIT and ROLLBACK them at the services,
 * RESOLVE them to ABORT at the leader, and make every service crash after its next vote or drop
 * every request. The servers must refuse each with PERMISSION_DENIED; and with a node's stolen key it
 * appends COMMITs and ABORTs of those attempts through the Raft port, which the log must refuse
 * ({@link RaftAppends}). The checkers then judge the
 * run as if the rogue had not been there. What it tried and what it got is recorded with the
 * nemesis's start; anything not refused is counted as {@code accepted} (and would show in the
 * checkers as a broken transaction).
 */
final class RogueClient extends Nemesis {
    private static final long CALL_TIMEOUT_S = 5;

    RogueClient() {
        super("rogue-client", false);
    }

    @Override
    Map<String, Object> start(TestCluster cluster, Random random) throws Exception {
        Map<String, Integer> denied = new LinkedHashMap<>();
        Map<String, Integer> accepted = new LinkedHashMap<>();
        List<String> otherErrors = new ArrayList<>();
        try (DtmConnections rogue = DtmConnections.of(cluster.config(), "client", Duration.ofSeconds(CALL_TIMEOUT_S),
                "rogue-client")) {
            List<String> prepared = preparedAttempts(cluster);
            for (ServiceName service : ServiceName.values()) {
                try (ParticipantClient s = rogue.connectParticipant(service, cluster.config().service(service))
                        .get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
                    for (String attempt : prepared) {
                        tally("COMMIT", s.commit(attempt), denied, accepted, otherErrors);
                        tally("ROLLBACK", s.rollback(attempt), denied, accepted, otherErrors);
                    }
                    tally("SET_FAULTS", s.setFaults(Faults.newBuilder().setCrashAt(CrashPoint.AFTER_VOTE_PERSISTED)
                            .setDropProbability(1).build()), denied, accepted, otherErrors);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    otherErrors.add(service.id() + ": cannot connect: " + Failures.describe(e));
                }
            }
            NodeConfig node = cluster.config().node(Nemesis.leaderOrAny(cluster, random));
            long term = 0;
            try (NodeClient n = rogue.connect(node).get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
                for (String attempt : prepared) {
                    tally("RESOLVE", n.resolve(attempt, true, "rogue client", "participant:payment"), denied, accepted,
                            otherErrors);
                }
                tally("LOG_DUMP", n.logDump("", 10), denied, accepted, otherErrors);
                term = n.status().get(CALL_TIMEOUT_S, TimeUnit.SECONDS).getTerm(); // anyone may ask who leads
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                otherErrors.add(node.id() + ": cannot connect: " + Failures.describe(e));
            }
            RaftAppends.tryAll(cluster.config(), prepared, term, denied, accepted, otherErrors);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("preparedAttempts", prepared.size());
            out.put("denied", denied);
            out.put("accepted", accepted);
            out.put("otherErrors", otherErrors.size() > 5 ? otherErrors.subList(0, 5) : otherErrors);
            return out;
        }
    }

    @Override
    void stop(TestCluster cluster) {
        // Nothing to undo: every request was refused (or, if one was not, the checkers will say what it broke).
    }

    /** Attempts the services hold prepared now, at most a few per service: what a rogue would aim at. */
    private static List<String> preparedAttempts(TestCluster cluster) {
        List<String> attempts = new ArrayList<>();
        for (ServiceName service : ServiceName.values()) {
            try (ParticipantClient admin = cluster.connections().connectParticipant(service,
                    cluster.config().service(service)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS)) {
                admin.inspect().get(CALL_TIMEOUT_S, TimeUnit.SECONDS).getPreparedList().stream().limit(5)
                        .map(PreparedTxn::getAttemptId).filter(a -> !attempts.contains(a)).forEach(attempts::add);
            } catch (Exception e) {
                // A service that is down (another nemesis) holds nothing this rogue can aim at now.
            }
        }
        if (attempts.isEmpty()) {
            attempts.add("jepsen-0#1"); // still try: a guessed id must be refused just the same
        }
        return attempts;
    }

    static void tally(String what, CompletableFuture<?> reply, Map<String, Integer> denied,
            Map<String, Integer> accepted, List<String> otherErrors) {
        try {
            reply.get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            accepted.merge(what, 1, Integer::sum);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RemoteException remote && remote.code() == ErrorCode.PERMISSION_DENIED) {
                denied.merge(what, 1, Integer::sum);
            } else if (e.getCause() instanceof RemoteException) {
                accepted.merge(what, 1, Integer::sum); // served, with some other answer: the request got in
            } else {
                otherErrors.add(what + ": " + Failures.describe(e));
            }
        } catch (Exception e) {
            otherErrors.add(what + ": " + Failures.describe(e));
        }
    }
}
