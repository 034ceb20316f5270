package io.dtm.coordinator.admin;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.codahale.metrics.jmx.JmxReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The Dropwizard metrics of one coordinator node, all named {@code dtm.*}.
 *
 * <p>The recording methods are called by the 2PC engine once or a few times per transaction: they
 * only look up pre-built metrics (a map read for the keyed ones) and update them, allocating
 * nothing beyond what Dropwizard itself does.
 *
 * <p>Latencies use Dropwizard {@link Timer}s with an exponentially decaying reservoir (the
 * lock-free one: Dropwizard's default takes a lock on every update, and the 2PC engine updates
 * timers nine times per transaction, 1.9% of the leader's CPU) rather than a 60 s
 * {@code SlidingTimeWindowArrayReservoir}: the decaying reservoir keeps 1,028
 * samples whatever the throughput, whereas the sliding window stores every sample of the last
 * minute, and with one timer per transaction plus one per (service, phase) that would cost tens of
 * megabytes at a few thousand transactions per second. The price is that its quantiles favour the
 * last five minutes instead of exactly the last minute, and stay frozen while no transaction runs;
 * the {@code count} and the rates are exact either way.
 *
 * <p>Keyed metrics (abort reasons, retry kinds, services, phases) are bounded: at most
 * {@value #MAX_KINDS} kinds each ({@value #MAX_PHASES} phases per service), further kinds are
 * counted under {@code OTHER}.
 */
public final class NodeMetrics {
    /** How many abort reasons, retry kinds and services get their own metric. */
    public static final int MAX_KINDS = 32;
    /** How many phases per service get their own timer; the engine uses "prepare" and "phase2". */
    public static final int MAX_PHASES = 4;

    public static final String SUBMITTED = "dtm.txn.submitted";
    public static final String COMMITTED = "dtm.txn.committed";
    public static final String ABORTED = "dtm.txn.aborted";
    public static final String REJECTED = "dtm.txn.rejected";
    public static final String OVERLOADED = "dtm.txn.overloaded";
    public static final String TIMEOUTS = "dtm.txn.timeouts";
    public static final String RETRIES = "dtm.txn.retries";
    public static final String TXN_LATENCY = "dtm.txn.latency";
    public static final String IN_DOUBT_QUERIES = "dtm.indoubt.queries";
    public static final String IN_DOUBT_ABORT_PROPOSALS = "dtm.indoubt.abort-proposals";
    public static final String PERMISSION_DENIED = "dtm.security.permission-denied";
    public static final String IN_FLIGHT = "dtm.txn.in-flight";
    public static final String PHASE2_BACKLOG = "dtm.phase2.backlog";
    public static final String RAFT_COMMIT_INDEX = "dtm.raft.commit-index";
    public static final String RAFT_APPLIED_INDEX = "dtm.raft.applied-index";
    public static final String RAFT_APPLY_LAG = "dtm.raft.apply-lag";
    public static final String RAFT_TERM = "dtm.raft.term";
    public static final String RAFT_LEADER = "dtm.raft.leader";
    public static final String PARTICIPANT = "dtm.participant";
    /**
     * The leader's own appends of its records, from the append to its result (the record applied
     * in a majority's log): {@code dtm.log.append.begin|decide|end}. With the participants' timers
     * they show where a transaction's time goes: Begin beside the PREPAREs, then the Decide.
     */
    public static final String LOG_APPEND = "dtm.log.append";
    /** Invariant violations found (a participant contradicting the log): must stay 0. */
    public static final String INVARIANT_VIOLATIONS = "dtm.invariant.violations";
    /** Violations still open (their transactions unfinished) on this leader. */
    public static final String INVARIANT_VIOLATIONS_OPEN = "dtm.invariant.violations.open";
    /**
     * Log entries a replica of this node applied out of log order (its table may differ from its
     * peers'): must stay 0.
     */
    public static final String OUT_OF_ORDER_APPLIES = "dtm.invariant.out-of-order-applies";

    private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);

    private final MetricRegistry registry;
    private final Meter submitted;
    private final Meter committed;
    private final Meter abortedTotal;
    private final Meter rejected;
    private final Meter overloaded;
    private final Meter timeouts;
    private final Counter violations;
    private final Counter inDoubtQueries;
    private final Counter inDoubtAbortProposals;
    private final Counter permissionDenied;
    private final Timer transactionLatency;
    private final BoundedMetricFamily<Meter> abortedByReason;
    private final BoundedMetricFamily<Meter> retriesByKind;
    private final BoundedMetricFamily<BoundedMetricFamily<Timer>> phaseTimers;
    private final BoundedMetricFamily<Timer> appendTimers;
    private JmxReporter jmx;

    /** Creates the fixed metrics in {@code registry}; keyed ones appear on first use. */
    public NodeMetrics(MetricRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
        submitted = registry.meter(SUBMITTED);
        committed = registry.meter(COMMITTED);
        abortedTotal = registry.meter(ABORTED);
        rejected = registry.meter(REJECTED);
        overloaded = registry.meter(OVERLOADED);
        timeouts = registry.meter(TIMEOUTS);
        violations = registry.counter(INVARIANT_VIOLATIONS);
        // Counters, not meters: these are rare recovery events where a rate means little.
        inDoubtQueries = registry.counter(IN_DOUBT_QUERIES);
        inDoubtAbortProposals = registry.counter(IN_DOUBT_ABORT_PROPOSALS);
        permissionDenied = registry.counter(PERMISSION_DENIED);
        transactionLatency = timer(registry, TXN_LATENCY);
        abortedByReason = new BoundedMetricFamily<>(MAX_KINDS, kind -> registry.meter(MetricRegistry.name(ABORTED, kind)));
        retriesByKind = new BoundedMetricFamily<>(MAX_KINDS, kind -> registry.meter(MetricRegistry.name(RETRIES, kind)));
        phaseTimers = new BoundedMetricFamily<>(MAX_KINDS, service -> new BoundedMetricFamily<>(MAX_PHASES,
                phase -> timer(registry, MetricRegistry.name(PARTICIPANT, service, phase))));
        appendTimers = new BoundedMetricFamily<>(MAX_PHASES, kind -> timer(registry, MetricRegistry.name(LOG_APPEND, kind)));
    }

    private static Timer timer(MetricRegistry registry, String name) {
        return registry.timer(name, () -> new Timer(LockFreeExponentiallyDecayingReservoir.builder().build()));
    }

    /** A transaction was accepted from a client. */
    public void submitted() {
        submitted.mark();
    }

    /** A transaction was decided COMMIT. */
    public void committed() {
        committed.mark();
    }

    /**
     * A transaction was decided ABORT; {@code kind} is a short reason such as "NO_VOTE", "TIMEOUT",
     * "DEADLINE", "FAILOVER", "LOCKED" or "STALE_VERSION", never free text.
     */
    public void aborted(String kind) {
        abortedTotal.mark();
        abortedByReason.get(kind).mark();
    }

    /** A request was refused before it became a transaction (invalid, duplicate tid, not leader). */
    public void rejected() {
        rejected.mark();
    }

    /** Something that must never happen did (logged as an error by the caller): counted, never reset. */
    public void invariantViolated() {
        violations.inc();
    }

    /** A request was refused because too many transactions are in flight. */
    public void overloaded() {
        overloaded.mark();
    }

    /** A call to a participant was retried; {@code kind} is "prepare", "phase2" or "lock". */
    public void retries(String kind) {
        retriesByKind.get(kind).mark();
    }

    /** A call to a participant timed out. */
    public void timeouts() {
        timeouts.mark();
    }

    /** A participant asked about the outcome of a transaction it is in doubt about. */
    public void inDoubtQueries() {
        inDoubtQueries.inc();
    }

    /** An in-doubt participant's query led to proposing ABORT for an undecided transaction. */
    public void inDoubtAbortProposals() {
        inDoubtAbortProposals.inc();
    }

    /** A request refused because the role in its sender's certificate may not send it; returns the count so far. */
    public long permissionDenied() {
        permissionDenied.inc();
        return permissionDenied.getCount();
    }

    /** The whole transaction, from submission to the client's answer. */
    public void transactionLatency(long nanos) {
        transactionLatency.update(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One call to a participant, in timer {@code dtm.participant.<service>.<phase>}.
     *
     * @param service "inventory", "payment", "order" or "shipping"
     * @param phase   "prepare" or "phase2"
     */
    public void phaseLatency(String service, String phase, long nanos) {
        phaseTimers.get(service).get(phase).update(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One of the leader's appends, in timer {@code dtm.log.append.<kind>}.
     *
     * @param kind "begin", "decide" or "end"
     */
    public void logAppendLatency(String kind, long nanos) {
        appendTimers.get(kind).update(nanos, TimeUnit.NANOSECONDS);
    }

    /** Transactions accepted and not yet answered; replaces an earlier supplier. */
    public void registerInFlight(LongSupplier inFlight) {
        replaceGauge(IN_FLIGHT, longGauge(inFlight));
    }

    /** Invariant violations still open on this leader (each keeps a transaction unfinished). */
    public void registerOpenViolations(LongSupplier open) {
        replaceGauge(INVARIANT_VIOLATIONS_OPEN, longGauge(open));
    }

    /** Log entries applied out of log order by this node's replicas, every group together. */
    public void registerOutOfOrderApplies(LongSupplier applies) {
        replaceGauge(OUT_OF_ORDER_APPLIES, longGauge(applies));
    }

    /** Decided transactions whose phase 2 has not reached every participant yet. */
    public void registerPhase2Backlog(LongSupplier backlog) {
        replaceGauge(PHASE2_BACKLOG, longGauge(backlog));
    }

    /**
     * The Raft state of this node's log; {@code dtm.raft.leader} reads 1 on the leader and 0
     * elsewhere because monitoring systems graph numbers, not booleans.
     */
    public void registerRaft(LongSupplier commitIndex, LongSupplier appliedIndex, LongSupplier term,
                             BooleanSupplier leader) {
        Objects.requireNonNull(commitIndex, "commitIndex");
        Objects.requireNonNull(appliedIndex, "appliedIndex");
        Objects.requireNonNull(leader, "leader");
        replaceGauge(RAFT_COMMIT_INDEX, longGauge(commitIndex));
        replaceGauge(RAFT_APPLIED_INDEX, longGauge(appliedIndex));
        replaceGauge(RAFT_APPLY_LAG, (Gauge<Long>) () -> commitIndex.getAsLong() - appliedIndex.getAsLong());
        replaceGauge(RAFT_TERM, longGauge(term));
        replaceGauge(RAFT_LEADER, (Gauge<Integer>) () -> leader.getAsBoolean() ? 1 : 0);
    }

    /**
     * The gauges of one log group this node is a member of, named {@code dtm.raft.group.<g>.<name>}:
     * its commit and applied index, apply lag, term, whether this node leads it (1) and transactions
     * its engine runs here (0 when it does not lead).
     */
    public void registerGroup(int group, LongSupplier commitIndex, LongSupplier appliedIndex, LongSupplier term,
                              BooleanSupplier leader, LongSupplier inFlight) {
        String prefix = "dtm.raft.group." + group + ".";
        replaceGauge(prefix + "commit-index", longGauge(commitIndex));
        replaceGauge(prefix + "applied-index", longGauge(appliedIndex));
        replaceGauge(prefix + "apply-lag", (Gauge<Long>) () -> commitIndex.getAsLong() - appliedIndex.getAsLong());
        replaceGauge(prefix + "term", longGauge(term));
        replaceGauge(prefix + "leader", (Gauge<Integer>) () -> leader.getAsBoolean() ? 1 : 0);
        replaceGauge(prefix + "in-flight", longGauge(inFlight));
    }

    /** The registry holding every metric of this node. */
    public MetricRegistry registry() {
        return registry;
    }

    /**
     * Publishes every metric of the registry as MBeans in {@code domain} (rates per second,
     * durations in milliseconds); a second call moves them to the new domain. Nodes sharing a JVM
     * (tests) need distinct domains, or their beans collide.
     */
    public synchronized void startJmx(String domain) {
        Objects.requireNonNull(domain, "domain");
        stopJmx();
        jmx = JmxReporter.forRegistry(registry)
                .inDomain(domain)
                .convertRatesTo(TimeUnit.SECONDS)
                .convertDurationsTo(TimeUnit.MILLISECONDS)
                .build();
        jmx.start();
        LOG.info("Node metrics published over JMX in domain {}", domain);
    }

    /** Unregisters the MBeans of {@link #startJmx}; does nothing when JMX is not started. */
    public synchronized void stopJmx() {
        if (jmx != null) {
            jmx.stop();
            jmx = null;
        }
    }

    private static Gauge<Long> longGauge(LongSupplier supplier) {
        Objects.requireNonNull(supplier, "supplier");
        return supplier::getAsLong;
    }

    // Synchronized so that two concurrent replacements cannot both pass remove() and have one
    // register() fail with "already exists".
    private synchronized void replaceGauge(String name, Gauge<?> gauge) {
        registry.remove(name);
        registry.register(name, gauge);
    }
}
