package io.dtm.jepsen.run;

import io.dtm.config.ServiceName;
import io.dtm.protocol.participant.CrashPoint;
import io.dtm.protocol.participant.Faults;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A fault, as a start/stop pair: {@code start} injects it and says what it did (recorded in the
 * history), {@code stop} undoes it. Partitions need the network namespaces; on a machine without
 * them those nemeses are skipped, with the reason, never passed.
 */
public abstract class Nemesis {
    private final String name;
    private final boolean needsNetwork;

    Nemesis(String name, boolean needsNetwork) {
        this.name = name;
        this.needsNetwork = needsNetwork;
    }

    public String name() {
        return name;
    }

    public boolean needsNetwork() {
        return needsNetwork;
    }

    /** Injects the fault; the value recorded with {@code start-<name>}. */
    abstract Map<String, Object> start(TestCluster cluster, Random random) throws Exception;

    /** Undoes it. */
    abstract void stop(TestCluster cluster) throws Exception;

    /** Every nemesis by name, in the order {@code all} runs them. */
    public static Map<String, Nemesis> catalog() {
        Map<String, Nemesis> all = new LinkedHashMap<>();
        for (Nemesis n : List.of(new KillLeader(), new KillCoordinator(), new KillParticipantAfterVote(),
                new KillAllCoordinators(), new PauseLeader(), new PauseParticipant(),
                new Partition("partition-isolate-leader", Partition::isolateLeader),
                new Partition("partition-halves", Partition::halves),
                new Partition("partition-majorities-ring", Partition::majoritiesRing),
                new Partition("partition-bridge", Partition::bridge),
                new Partition("partition-coordinators-participants", Partition::coordinatorsParticipants),
                new Partition("partition-participant-leader", Partition::participantLeader),
                new Partition("partition-one-way", Partition::oneWay),
                new PacketLoss(), new ClockSkew("clock-skew", false), new ClockSkew("clock-skew-apart", true),
                new RogueClient(), new ReplaceNode())) {
            all.put(n.name(), n);
        }
        return all;
    }

    static String leaderOrAny(TestCluster cluster, Random random) {
        return cluster.leader().orElse(TestCluster.NODES.get(random.nextInt(TestCluster.NODES.size())));
    }

    // ------------------------------------------------------------------ processes

    /** Kills processes with SIGKILL; stop restarts them on their data. */
    abstract static class Kill extends Nemesis {
        private final List<String> killed = new ArrayList<>();

        Kill(String name) {
            super(name, false);
        }

        abstract List<String> targets(TestCluster cluster, Random random) throws Exception;

        @Override
        Map<String, Object> start(TestCluster cluster, Random random) throws Exception {
            killed.clear();
            for (String target : targets(cluster, random)) {
                cluster.processes().kill(target);
                killed.add(target);
            }
            return Map.of("killed", List.copyOf(killed));
        }

        @Override
        void stop(TestCluster cluster) {
            killed.forEach(cluster.processes()::start);
            killed.clear();
        }
    }

    static final class KillLeader extends Kill {
        KillLeader() {
            super("kill-leader");
        }

        @Override
        List<String> targets(TestCluster cluster, Random random) {
            return List.of(leaderOrAny(cluster, random));
        }
    }

    static final class KillCoordinator extends Kill {
        KillCoordinator() {
            super("kill-coordinator");
        }

        @Override
        List<String> targets(TestCluster cluster, Random random) {
            return List.of(TestCluster.NODES.get(random.nextInt(TestCluster.NODES.size())));
        }
    }

    static final class KillAllCoordinators extends Kill {
        KillAllCoordinators() {
            super("kill-all-coordinators");
        }

        @Override
        List<String> targets(TestCluster cluster, Random random) {
            return TestCluster.NODES;
        }
    }

    /**
     * A participant dies right after it persisted a YES vote (its own crash point, exit 137),
     * before the coordinator hears the vote: the next transaction it prepares is left in doubt.
     */
    static final class KillParticipantAfterVote extends Nemesis {
        private String target;

        KillParticipantAfterVote() {
            super("kill-participant-after-vote", false);
        }

        @Override
        Map<String, Object> start(TestCluster cluster, Random random) throws Exception {
            ServiceName service = ServiceName.values()[random.nextInt(ServiceName.values().length)];
            target = service.id();
            try (var client = cluster.connections().connectParticipant(service, cluster.config().service(service))
                    .get(5, TimeUnit.SECONDS)) {
                client.setFaults(Faults.newBuilder().setCrashAt(CrashPoint.AFTER_VOTE_PERSISTED).build())
                        .get(5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // Under load the crash point fires at once, often before the reply goes out: the
                // process's exit, checked below, is what counts.
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (cluster.processes().pid(target).map(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive)
                    .orElse(false)).orElse(false) && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
            boolean died = !cluster.processes().pid(target).map(pid -> ProcessHandle.of(pid)
                    .map(ProcessHandle::isAlive).orElse(false)).orElse(false);
            return Map.of("service", target, "crashedAfterVote", died);
        }

        @Override
        void stop(TestCluster cluster) {
            // The crash point was set in memory: a restarted process runs without it.
            cluster.processes().kill(target);
            cluster.processes().start(target);
        }
    }

    /** SIGSTOP, longer than the election timeout; stop is SIGCONT. */
    abstract static class Pause extends Nemesis {
        private String paused;

        Pause(String name) {
            super(name, false);
        }

        abstract String target(TestCluster cluster, Random random);

        @Override
        Map<String, Object> start(TestCluster cluster, Random random) {
            paused = target(cluster, random);
            cluster.processes().pause(paused);
            return Map.of("paused", paused);
        }

        @Override
        void stop(TestCluster cluster) {
            if (paused != null) {
                cluster.processes().resume(paused);
                paused = null;
            }
        }
    }

    static final class PauseLeader extends Pause {
        PauseLeader() {
            super("pause-leader");
        }

        @Override
        String target(TestCluster cluster, Random random) {
            return leaderOrAny(cluster, random);
        }
    }

    /** Pauses the service holding the most PREPARED attempts (under load, one that holds some). */
    static final class PauseParticipant extends Pause {
        PauseParticipant() {
            super("pause-participant");
        }

        @Override
        String target(TestCluster cluster, Random random) {
            return cluster.view().services().stream().filter(s -> s.reachable())
                    .max((a, b) -> Integer.compare(a.inspect().getPreparedCount(), b.inspect().getPreparedCount()))
                    .map(s -> s.name())
                    .orElse(ServiceName.values()[random.nextInt(ServiceName.values().length)].id());
        }
    }

    /**
     * A coordinator's clock hours off: the node is killed and started again on its data with its
     * clock {@link #SKEW} ahead ({@code clock-skew}), and with {@code clock-skew-apart} another one
     * as far behind; stop restarts them on the real clock. What the skewed nodes tell the log
     * (their batches' timestamps, their clock reports) is hours off, and log time must not follow:
     * an outcome must stay retained as long as retention promises (the retention checker).
     */
    static final class ClockSkew extends Nemesis {
        /** Three hours: well past the hour a run's log keeps outcomes by default. */
        static final Duration SKEW = Duration.ofHours(3);
        /** How long a restarted node may take to answer again before the next one is restarted. */
        static final Duration REJOIN = Duration.ofSeconds(30);
        private final boolean apart;
        private final List<String> skewed = new ArrayList<>();

        ClockSkew(String name, boolean apart) {
            super(name, false);
            this.apart = apart;
        }

        /** Whether any of {@code nemeses} skews clocks: answers must then come from the log, not a leader's cache. */
        static boolean any(List<Nemesis> nemeses) {
            return nemeses.stream().anyMatch(n -> n instanceof ClockSkew);
        }

        @Override
        Map<String, Object> start(TestCluster cluster, Random random) throws InterruptedException {
            List<String> nodes = new ArrayList<>(TestCluster.NODES);
            Collections.shuffle(nodes, random);
            skewed.clear();
            skewed.add(nodes.get(0));
            if (apart) {
                skewed.add(nodes.get(1));
            }
            Map<String, Object> what = new LinkedHashMap<>();
            for (int i = 0; i < skewed.size(); i++) {
                long offsetMs = i == 0 ? SKEW.toMillis() : -SKEW.toMillis();
                restartInTurn(cluster, i, offsetMs);
                what.put(skewed.get(i), Map.of("clockOffsetMs", offsetMs));
            }
            return what;
        }

        @Override
        void stop(TestCluster cluster) throws InterruptedException {
            for (int i = 0; i < skewed.size(); i++) {
                restartInTurn(cluster, i, 0);
            }
            skewed.clear();
        }

        /**
         * Restarts the {@code i}th skewed node; after the previous one is back (at most {@link #REJOIN}):
         * two nodes down at once would leave no majority, which is another fault.
         */
        private void restartInTurn(TestCluster cluster, int i, long offsetMs) throws InterruptedException {
            if (i > 0) {
                cluster.awaitRejoined(skewed.get(i - 1), REJOIN);
            }
            cluster.restartWithClockOffset(skewed.get(i), offsetMs);
        }
    }
}
