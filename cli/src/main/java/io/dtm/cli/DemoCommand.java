package io.dtm.cli;

import io.dtm.client.DtmConnections;
import io.dtm.client.NodeClient;
import io.dtm.client.ParticipantClient;
import io.dtm.config.ClusterConfig;
import io.dtm.config.FreePorts;
import io.dtm.config.NodeConfig;
import io.dtm.config.ParticipantsConfig;
import io.dtm.config.ServiceName;
import io.dtm.log.LogRecords;
import io.dtm.log.TxnLogClient;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.NodeStatus;
import org.HdrHistogram.Histogram;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static picocli.CommandLine.Model.CommandSpec;
import static picocli.CommandLine.Spec;

/**
 * The demo of what the product does today: a three-node cluster on this machine whose replicated
 * log decides transactions, keeps each decision write-once, and survives the loss of its leader.
 * It grows into the order demo when the participants and the coordinator engine land.
 */
@Command(name = "demo",
        description = {"Run the demo: 3 coordinator nodes and the 4 services in a temporary directory, end to end.",
            "Drives 220 transactions through the replicated log, kills the leader with SIGKILL, shows that every",
            "decision survived and that a restarted node catches up; then plays a coordinator that dies after",
            "PREPARE and shows the services resolving through the log. Exits 0 when every check passed."},
        footer = {"", "The demo plays the coordinator's part itself (the two-phase-commit engine is not built yet);",
            "what it shows is the log and the services that the coordinator will rely on.",
            "", "Examples:", "  ./dtm demo", "  ./dtm demo --keep      keep the temporary directory (logs, data) afterwards"},
        mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {
    private static final int TRANSACTIONS = 200;
    private static final int RACES = 20;
    private static final long IN_DOUBT_MS = 3_000;

    @Option(names = "--keep", description = "Keep the temporary cluster directory (logs and data) after the demo.")
    boolean keep;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private final List<String> failedChecks = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        Path root = Files.createTempDirectory("dtm-demo-");
        ClusterDir dir = new ClusterDir(root);
        ClusterLauncher launcher = new ClusterLauncher(dir, out);
        try {
            // A short in-doubt timeout, so that step 8 does not keep you waiting.
            ClusterConfig config = launcher.prepare(choosePorts(ClusterConfig.loadDefault())
                    .withParticipants(new ParticipantsConfig(IN_DOUBT_MS, ParticipantsConfig.defaults().maxBatch())));
            heading("1. Start three coordinator nodes and the four services in " + root);
            long t0 = System.nanoTime();
            NodeStatus leader = launcher.awaitLeader(config, launcher.startMissing(config));
            out.printf("leader %s elected, cluster ready in %d ms%n", leader.getNodeId(), millisSince(t0));

            Map<String, Expected> expected = new LinkedHashMap<>();
            Histogram latency = new Histogram(3);
            try (TxnLogClient log = TxnLogClient.connect(config, "demo");
                    DtmConnections connections = new DtmConnections(Duration.ofSeconds(10))) {
                decideTransactions(log, expected, latency);
                raceDecisions(log, expected);
                String killed = killLeader(config, dir, launcher);
                verifyEveryNode(config, connections, expected, killed);
                restart(config, launcher, connections, expected, killed);
                endAll(log, expected);
                coordinatorVanishes(config, launcher, log, connections);
            }
            summary(expected, latency);
        } finally {
            heading("Stop");
            launcher.stopAll(Duration.ofSeconds(10));
            if (keep || !failedChecks.isEmpty()) {
                out.println("cluster directory kept: " + root);
            } else {
                deleteRecursively(root);
            }
            out.flush();
        }
        if (!failedChecks.isEmpty()) {
            out.println("FAILED checks:");
            failedChecks.forEach(c -> out.println("  - " + c));
            return 1;
        }
        out.println("demo finished: every check passed");
        return 0;
    }

    /** The expected standing outcome of each demo tid. */
    private record Expected(Outcome outcome, String reason) {
    }

    private void decideTransactions(TxnLogClient log, Map<String, Expected> expected, Histogram latency) {
        heading("2. Log " + TRANSACTIONS + " transactions: Begin, then a decision (group-committed, all at once)");
        List<String> services = LogLoad.FOUR;
        log.read("demo-warm-up").join(); // opens the connections, so the timing below is the log's own
        long start = System.nanoTime();
        List<CompletableFuture<RecordResult>> decisions = new ArrayList<>();
        for (int i = 1; i <= TRANSACTIONS; i++) {
            String tid = String.format("demo-%04d", i);
            // Every 8th transaction aborts, citing a service: in this step the demo plays the votes too.
            boolean abort = i % 8 == 0;
            String refused = services.get((i / 8) % services.size());
            Expected e = abort
                    ? new Expected(Outcome.ABORT, refused + ": voted NO (a vote the demo plays; no PREPARE sent)")
                    : new Expected(Outcome.COMMIT, "");
            expected.put(tid, e);
            List<String> participants = services.subList(0, 1 + i % services.size());
            long t = System.nanoTime();
            decisions.add(log.append(LogRecords.begin(tid, participants, System.currentTimeMillis() + 30_000))
                    .thenCompose(begun -> log.append(LogRecords.decide(tid, e.outcome(), e.reason(), "coordinator:demo")))
                    .whenComplete((r, err) -> record(latency, t)));
        }
        long committed = decisions.stream().map(CompletableFuture::join)
                .filter(r -> r.getOutcome() == Outcome.COMMIT).count();
        double seconds = (System.nanoTime() - start) / 1e9;
        out.printf("%d transactions decided in %.0f ms (%,.0f records/s, %.1f records per Raft entry): %d COMMIT, %d ABORT%n",
                TRANSACTIONS, seconds * 1000, 2 * TRANSACTIONS / seconds, log.appendStats().recordsPerEntry(),
                committed, TRANSACTIONS - committed);
    }

    private void raceDecisions(TxnLogClient log, Map<String, Expected> expected) {
        heading("3. Write-once decisions: a coordinator's COMMIT and an in-doubt participant's ABORT, proposed at once");
        List<CompletableFuture<RecordResult>> commits = new ArrayList<>();
        List<CompletableFuture<RecordResult>> aborts = new ArrayList<>();
        for (int i = 1; i <= RACES; i++) {
            String tid = String.format("race-%02d", i);
            log.append(LogRecords.begin(tid, List.of("payment", "order"), System.currentTimeMillis() + 30_000)).join();
            // Alternate who asks first; the log applies whichever reaches it first, and only that one.
            CompletableFuture<RecordResult> commit;
            CompletableFuture<RecordResult> abort;
            if (i % 2 == 0) {
                commit = log.append(LogRecords.decide(tid, Outcome.COMMIT, "", "coordinator:demo"));
                abort = log.append(LogRecords.decide(tid, Outcome.ABORT, "payment: no decision after its in-doubt timeout",
                        "participant:payment"));
            } else {
                abort = log.append(LogRecords.decide(tid, Outcome.ABORT, "payment: no decision after its in-doubt timeout",
                        "participant:payment"));
                commit = log.append(LogRecords.decide(tid, Outcome.COMMIT, "", "coordinator:demo"));
            }
            commits.add(commit);
            aborts.add(abort);
        }
        int commitWins = 0;
        for (int i = 0; i < RACES; i++) {
            RecordResult c = commits.get(i).join();
            RecordResult a = aborts.get(i).join();
            String tid = String.format("race-%02d", i + 1);
            check(c.getOutcome() == a.getOutcome(), tid + ": both proposers must learn the same outcome");
            check((c.getDisposition() == RecordResult.Disposition.APPLIED)
                    != (a.getDisposition() == RecordResult.Disposition.APPLIED), tid + ": exactly one proposal applies");
            expected.put(tid, new Expected(c.getOutcome(), c.getReason()));
            if (c.getOutcome() == Outcome.COMMIT) {
                commitWins++;
            }
        }
        out.printf("%d races: COMMIT won %d, ABORT won %d; in every race both proposers were told the same outcome%n",
                RACES, commitWins, RACES - commitWins);
    }

    private String killLeader(ClusterConfig config, ClusterDir dir, ClusterLauncher launcher)
            throws InterruptedException {
        String leader = launcher.awaitLeader(config, List.of()).getNodeId();
        heading("4. Kill the leader " + leader + " with SIGKILL (pid " + dir.pid(leader).orElse(-1) + ")");
        long t0 = System.nanoTime();
        dir.running(leader).orElseThrow(() -> new UserException("leader " + leader + " has no running process"))
                .destroyForcibly();
        NodeStatus next = launcher.awaitView(config, List.of(),
                v -> v.leader().filter(s -> !s.getNodeId().equals(leader) && s.getLeaderReady()).isPresent(),
                "no new leader").leader().orElseThrow();
        out.printf("new leader %s (term %d) ready %d ms after the kill%n", next.getNodeId(), next.getTerm(), millisSince(t0));
        return leader;
    }

    private void verifyEveryNode(ClusterConfig config, DtmConnections connections, Map<String, Expected> expected,
            String down) throws Exception {
        heading("5. Read every decision back through each surviving node (linearizable reads)");
        for (NodeConfig node : config.nodes()) {
            if (!node.id().equals(down)) {
                verifyThrough(connections, node, expected);
            }
        }
    }

    private void restart(ClusterConfig config, ClusterLauncher launcher, DtmConnections connections,
            Map<String, Expected> expected, String killed) throws Exception {
        heading("6. Restart " + killed + " on its data; it catches up from the others");
        long t0 = System.nanoTime();
        launcher.startMissing(config);
        launcher.awaitView(config, List.of(killed), v -> v.nodes().stream()
                .filter(n -> n.id().equals(killed) && n.reachable())
                .anyMatch(n -> v.leader().map(l -> n.status().getAppliedIndex() >= l.getCommitIndex()).orElse(false)),
                killed + " did not catch up");
        out.printf("%s caught up in %d ms%n", killed, millisSince(t0));
        verifyThrough(connections, config.node(killed), expected);
    }

    private void endAll(TxnLogClient log, Map<String, Expected> expected) {
        heading("7. End every transaction: the log keeps only a compact outcome for late questions");
        List<CompletableFuture<RecordResult>> ends = new ArrayList<>();
        expected.keySet().forEach(tid -> ends.add(log.append(LogRecords.end(tid))));
        long ended = ends.stream().map(CompletableFuture::join).filter(r -> r.getStatus() == TxnStatus.ENDED).count();
        check(ended == expected.size(), "every transaction ended");
        out.printf("%d transactions ended%n", ended);
    }

    /**
     * The demo plays a coordinator that dies in the middle of two transactions: every service voted
     * YES on both; one decision (COMMIT) reached the log, the other never did. The services find out
     * by themselves, through the log.
     */
    private void coordinatorVanishes(ClusterConfig config, ClusterLauncher launcher, TxnLogClient log,
            DtmConnections connections) throws Exception {
        heading("8. A coordinator dies after PREPARE: the services resolve through the log by themselves");
        String committed = "vanished-1#1";
        String undecided = "vanished-2#1";
        List<ServiceName> services = List.of(ServiceName.values());
        List<String> serviceIds = services.stream().map(ServiceName::id).toList();
        Map<ServiceName, ParticipantClient> clients = new LinkedHashMap<>();
        for (ServiceName service : services) {
            clients.put(service, connections.connectParticipant(service, config.service(service)).get());
        }
        try {
            LocalDate shipOn = LocalDate.now(ZoneOffset.UTC).plusDays(7);
            int n = 0;
            for (String tid : List.of(committed, undecided)) {
                log.append(LogRecords.begin(tid, serviceIds, System.currentTimeMillis() + 30_000)).join();
                n++;
                for (ServiceName service : services) {
                    boolean yes = clients.get(service).prepare(SampleRequests.prepare(service, tid, 500 + n, shipOn))
                            .get().getYes();
                    check(yes, service.id() + " votes YES on " + tid);
                }
            }
            log.append(LogRecords.decide(committed, Outcome.COMMIT, "", "coordinator:demo")).join();
            out.printf("both attempts PREPARED at all four services; COMMIT of %s logged; then the coordinator is gone%n",
                    committed);
            out.printf("the services wait %d ms (participants.inDoubtTimeoutMs), then ask any node...%n", IN_DOUBT_MS);
            out.flush();
            long t0 = System.nanoTime();
            launcher.awaitView(config, List.of(), v -> v.services().stream()
                    .allMatch(svc -> svc.reachable() && svc.inspect().getPreparedCount() == 0), "attempts still in doubt");
            out.printf("no attempt left in doubt %d ms later%n", millisSince(t0));
            for (ServiceName service : services) {
                var c = clients.get(service);
                var first = c.query(committed).get().getState();
                var second = c.query(undecided).get().getState();
                check(first == LocalState.COMMITTED, service.id() + " committed " + committed);
                check(second == LocalState.ROLLED_BACK, service.id() + " rolled back " + undecided);
                out.printf("  %-10s %s %s, %s %s%n", service.id(), committed, first, undecided, second);
            }
            TxnState aborted = log.read(undecided).join();
            check(aborted.getOutcome() == Outcome.ABORT, "the log holds ABORT for " + undecided);
            out.printf("the log: %s %s, proposed by %s (%s)%n", undecided, aborted.getOutcome(), aborted.getProposer(),
                    aborted.getReason());
            var inventory = clients.get(ServiceName.INVENTORY).inspect().get().getTotalsMap();
            var payment = clients.get(ServiceName.PAYMENT).inspect().get().getTotalsMap();
            check(inventory.get("initialStock") == inventory.get("available") + inventory.get("reserved")
                    + inventory.get("sold"), "inventory conserves its stock");
            check(payment.get("initialBalanceCents") == payment.get("balanceCents") + payment.get("heldCents")
                    + payment.get("capturedCents"), "payment conserves its money");
            out.printf("inventory: sold %d, reserved %d; payment: captured %d cents, held %d%n", inventory.get("sold"),
                    inventory.get("reserved"), payment.get("capturedCents"), payment.get("heldCents"));
        } finally {
            clients.values().forEach(ParticipantClient::close);
        }
    }

    private void verifyThrough(DtmConnections connections, NodeConfig node, Map<String, Expected> expected)
            throws Exception {
        try (NodeClient client = connections.connect(node).get()) {
            List<CompletableFuture<TxnState>> reads = expected.keySet().stream().map(client::txnStatus).toList();
            int agree = 0;
            List<String> tids = new ArrayList<>(expected.keySet());
            for (int i = 0; i < tids.size(); i++) {
                TxnState s = reads.get(i).join();
                Expected e = expected.get(tids.get(i));
                if (s.getOutcome() == e.outcome() && s.getReason().equals(e.reason())) {
                    agree++;
                }
            }
            check(agree == tids.size(), node.id() + " agrees on every outcome");
            out.printf("%s (%s): %d of %d outcomes as decided%n", node.id(), node.clientAddress(), agree, tids.size());
        }
    }

    private void summary(Map<String, Expected> expected, Histogram latency) {
        heading("Summary");
        Map<String, Long> byOutcome = new TreeMap<>();
        for (Expected e : expected.values()) {
            String key = e.outcome() == Outcome.COMMIT ? "COMMIT" : "ABORT  " + e.reason();
            byOutcome.merge(key, 1L, Long::sum);
        }
        out.printf("%-8s %s%n", "COUNT", "OUTCOME");
        byOutcome.entrySet().stream().sorted(Map.Entry.comparingByValue(Comparator.reverseOrder()))
                .forEach(e -> out.printf("%-8d %s%n", e.getValue(), e.getKey()));
        out.printf("Begin+Decide latency: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%d transactions at once)%n",
                latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(90) / 1000.0,
                latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0, TRANSACTIONS);
    }

    /** The default ports, unless something already listens on them (a cluster of the user's). */
    private ClusterConfig choosePorts(ClusterConfig config) {
        if (config.nodes().stream().allMatch(ClusterLauncher::portsFree)) {
            return config;
        }
        out.println("note: the default ports are taken (is a cluster running?); the demo uses free ports instead");
        return config.withPorts(FreePorts::next);
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            failedChecks.add(what);
            out.println("CHECK FAILED: " + what);
        }
    }

    private void heading(String text) {
        out.println();
        out.println("== " + text);
        out.flush();
    }

    private static void record(Histogram h, long startNanos) {
        synchronized (h) {
            h.recordValue(Math.max(1, (System.nanoTime() - startNanos) / 1_000));
        }
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
