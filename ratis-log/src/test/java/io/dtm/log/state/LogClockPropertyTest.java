package io.dtm.log.state;

import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static io.dtm.log.state.TxnLogStateTest.snapshotBytes;
import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.decide;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random histories against {@link LogClock}'s promise: nodes restart with clocks hours off, clocks
 * step while processes run, readings reach the log late and out of order, nodes pause, the whole
 * cluster goes down. Whatever happens, no outcome is forgotten by age before its age has passed in
 * true time (less the staleness the rule allows: a report interval and one step of this model), a
 * replica restored from a snapshot taken anywhere keeps the same time, and once every node runs and
 * reports again, log time moves with true time. Entries apply only while a majority of the nodes
 * runs, as in Raft. A failing seed replays with {@code -Ddtm.clock.seed=N} (and prints every
 * reading with {@code -Ddtm.clock.trace=true}).
 */
class LogClockPropertyTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final long HOURS = 5 * 3_600_000L;
    private static final long REPORT_MS = 2_000;
    private static final int MAX_STEP_MS = 1_500;
    /** The longest a clock report spends on its way to the log here (a Raft client's retries). */
    private static final int MAX_TRIP_MS = 3_000;
    /**
     * How much earlier than its age an outcome may be forgotten: what a member may count ahead of
     * log time, what log time may trail the members' clocks by (a report interval, one step of
     * this model), and the trip of a report that counts time from before it.
     */
    private static final long SLACK_MS = LogClock.MAX_AHEAD_MS + REPORT_MS + MAX_STEP_MS + MAX_TRIP_MS;
    private static final int SEEDS = 2_000;

    @Test
    void noOutcomeIsForgottenBeforeItsAgeAndLogTimeFollowsTrueTime() throws IOException {
        Long only = Long.getLong("dtm.clock.seed");
        for (long seed = only == null ? 1 : only; seed <= (only == null ? SEEDS : only); seed++) {
            new History(seed).run();
        }
    }

    private static final class Node {
        final String id;
        boolean up = true;
        long processId;
        long startedAt;
        long offsetMs;
        /** True time of the node's next clock report. */
        long nextReport;

        Node(String id) {
            this.id = id;
        }

        RecordBatch.Builder seal(long now) {
            return RecordBatch.newBuilder().setNodeId(id).setTimestampMs(T0 + now + offsetMs)
                    .setUptimeMs(now - startedAt).setProcessId(processId);
        }
    }

    private static final class History {
        final long seed;
        final Random random;
        final List<Node> nodes;
        final TxnLogState.Retention retention;
        final TxnLogState log;
        /** Readings on their way, and the true time each reaches the log: they may overtake each other. */
        final Map<RecordBatch, Long> inTransit = new LinkedHashMap<>();
        /** Readings waiting for a majority to run, in order. */
        final List<RecordBatch> waiting = new ArrayList<>();
        /** Outcomes still retained, with the true time they ended. */
        final Map<String, Long> endedAt = new LinkedHashMap<>();
        long now;
        long nextProcessId = 1;
        int tids;
        TxnLogState replica;

        History(long seed) {
            this.seed = seed;
            this.random = new Random(seed);
            int n = random.nextBoolean() ? 3 : 5;
            this.nodes = IntStream.rangeClosed(1, n).mapToObj(i -> new Node("n" + i)).toList();
            long[] ages = {5_000, 20_000, 60_000};
            this.retention = new TxnLogState.Retention(1_000_000, ages[random.nextInt(ages.length)]);
            this.log = new TxnLogState(retention, nodes.stream().map(x -> x.id).toList());
            for (Node node : nodes) {
                restart(node);
            }
        }

        void restart(Node node) {
            node.up = true;
            node.processId = nextProcessId++;
            node.startedAt = now;
            node.offsetMs = offset();
            node.nextReport = now + random.nextInt((int) REPORT_MS);
        }

        long offset() {
            return switch (random.nextInt(4)) {
                case 0 -> HOURS;
                case 1 -> -HOURS;
                case 2 -> random.nextInt(600_000) - 300_000;
                default -> 0;
            };
        }

        boolean majorityUp() {
            return nodes.stream().filter(x -> x.up).count() > nodes.size() / 2;
        }

        void run() throws IOException {
            for (int step = 0; step < 300; step++) {
                now += 1 + random.nextInt(MAX_STEP_MS);
                fault();
                for (Node node : nodes) {
                    if (node.up && node.nextReport <= now) {
                        deliver(node.seal(now).build());
                        node.nextReport = now + REPORT_MS;
                    }
                }
                arrive();
                if (majorityUp() && random.nextInt(3) == 0) {
                    finishOne();
                }
                if (replica == null && random.nextInt(100) == 0) {
                    replica = SnapshotFormat.read(new ByteArrayInputStream(snapshotBytes(log)), retention,
                            log.members());
                }
            }
            heal();
        }

        /** Every node up on a true clock, reports flowing: log time must follow true time. */
        void heal() throws IOException {
            nodes.stream().filter(x -> !x.up).forEach(this::restart);
            List.copyOf(waiting).forEach(this::apply);
            waiting.clear();
            List.copyOf(inTransit.keySet()).forEach(this::apply);
            inTransit.clear();
            nodes.forEach(x -> x.offsetMs = 0);
            long healedAt = now;
            long logAtHeal = log.clockMs();
            for (int i = 0; i < 30; i++) {
                now += REPORT_MS;
                nodes.forEach(x -> apply(x.seal(now).build()));
            }
            assertThat(log.clockMs() - logAtHeal).as("seed %d: log time moves with true time once healed", seed)
                    .isBetween(now - healedAt - 2 * REPORT_MS, now - healedAt + LogClock.MAX_AHEAD_MS);
            if (replica != null) {
                assertThat(replica.clockMs()).as("seed %d: a replica restored from a snapshot", seed)
                        .isEqualTo(log.clockMs());
                assertThat(snapshotBytes(replica)).as("seed %d", seed).isEqualTo(snapshotBytes(log));
            }
        }

        void fault() {
            Node node = nodes.get(random.nextInt(nodes.size()));
            switch (random.nextInt(12)) {
                case 0 -> node.up = false; // crashed or paused: its clock reports stop
                case 1 -> restart(node);
                case 2 -> node.offsetMs = offset(); // the wall clock steps; the process runs on
                case 3 -> { // resumed after a pause: same process, its monotonic clock ran on
                    node.up = true;
                    node.nextReport = Math.min(node.nextReport, now);
                }
                case 4 -> {
                    if (random.nextInt(10) == 0) { // the whole cluster goes down and comes back
                        now += random.nextInt(3_600_000);
                        nodes.forEach(this::restart);
                    }
                }
                default -> {
                }
            }
        }

        /**
         * A transaction that a running node's coordinator begins, commits and ends in one batch:
         * after the entries that waited for a majority, which the log holds before it.
         */
        void finishOne() {
            List.copyOf(waiting).forEach(this::apply);
            waiting.clear();
            List<Node> up = nodes.stream().filter(x -> x.up).toList();
            String tid = "t" + ++tids;
            apply(up.get(random.nextInt(up.size())).seal(now)
                    .addRecords(begin(tid, List.of("payment"), T0 + now + 1_000))
                    .addRecords(decide(tid, Outcome.COMMIT, "", "coordinator:n1"))
                    .addRecords(end(tid)).build());
            endedAt.put(tid, now);
        }

        /** Applies a reading now, or later: it waits for a majority, or is overtaken on its way by later ones. */
        void deliver(RecordBatch batch) {
            if (!majorityUp()) {
                waiting.add(batch);
                return;
            }
            List.copyOf(waiting).forEach(this::apply);
            waiting.clear();
            if (random.nextInt(10) == 0) {
                inTransit.put(batch, now + 1 + random.nextInt(MAX_TRIP_MS));
                return;
            }
            apply(batch);
        }

        /** Readings whose trip is over reach the log. */
        void arrive() {
            for (var it = inTransit.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<RecordBatch, Long> e = it.next();
                if (e.getValue() <= now) {
                    it.remove();
                    apply(e.getKey());
                }
            }
        }

        void apply(RecordBatch batch) {
            log.apply(batch, 1);
            if (replica != null) {
                replica.apply(batch, 1);
            }
            if (Boolean.getBoolean("dtm.clock.trace")) {
                System.out.printf("seed %d at %d: %s p%d wall %+d up %d -> log time %+d%n", seed, now,
                        batch.getNodeId(), batch.getProcessId(), batch.getTimestampMs() - T0 - now,
                        batch.getUptimeMs(), log.clockMs() - T0 - now);
            }
            for (var it = endedAt.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Long> e = it.next();
                if (log.query(e.getKey()).getStatus() == TxnStatus.FORGOTTEN) {
                    assertThat(now - e.getValue()).as("seed %d at %d ms: %s forgotten %d ms after it ended (max age"
                            + " %d ms)", seed, now, e.getKey(), now - e.getValue(), retention.maxAgeMs())
                            .isGreaterThanOrEqualTo(retention.maxAgeMs() - SLACK_MS);
                    it.remove();
                }
            }
        }
    }
}
