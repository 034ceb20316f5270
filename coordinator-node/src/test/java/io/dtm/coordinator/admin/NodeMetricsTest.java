package io.dtm.coordinator.admin;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class NodeMetricsTest {
    private final MetricRegistry registry = new MetricRegistry();
    private final NodeMetrics metrics = new NodeMetrics(registry);

    @Test
    void theLeadersAppendsGoToOneTimerPerKindOfRecord() {
        metrics.logAppendLatency("begin", TimeUnit.MILLISECONDS.toNanos(2));
        metrics.logAppendLatency("decide", TimeUnit.MILLISECONDS.toNanos(3));
        metrics.logAppendLatency("begin", TimeUnit.MILLISECONDS.toNanos(4));

        assertThat(registry.getTimers().get("dtm.log.append.begin").getCount()).isEqualTo(2);
        assertThat(registry.getTimers().get("dtm.log.append.begin").getSnapshot().getMax())
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(4));
        assertThat(registry.getTimers().get("dtm.log.append.decide").getCount()).isEqualTo(1);
    }

    @Test
    void phaseLatenciesGoToOneTimerPerServiceAndPhase() {
        metrics.phaseLatency("inventory", "prepare", TimeUnit.MILLISECONDS.toNanos(3));
        metrics.phaseLatency("inventory", "prepare", TimeUnit.MILLISECONDS.toNanos(5));
        metrics.phaseLatency("inventory", "phase2", TimeUnit.MILLISECONDS.toNanos(1));
        metrics.phaseLatency("payment", "prepare", TimeUnit.MILLISECONDS.toNanos(7));

        assertThat(registry.getTimers().keySet()).contains("dtm.participant.inventory.prepare",
                "dtm.participant.inventory.phase2", "dtm.participant.payment.prepare");
        Timer inventoryPrepare = registry.getTimers().get("dtm.participant.inventory.prepare");
        assertThat(inventoryPrepare.getCount()).isEqualTo(2);
        assertThat(inventoryPrepare.getSnapshot().getMax()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(registry.getTimers().get("dtm.participant.inventory.phase2").getCount()).isEqualTo(1);
        assertThat(registry.getTimers().get("dtm.participant.payment.prepare").getSnapshot().getMax())
                .isEqualTo(TimeUnit.MILLISECONDS.toNanos(7));
    }

    @Test
    void servicesAndPhasesAreBounded() {
        for (int i = 0; i < NodeMetrics.MAX_PHASES + 3; i++) {
            metrics.phaseLatency("order", "phase" + i, 1_000);
        }
        // "order" holds one of the service slots already.
        for (int i = 0; i < NodeMetrics.MAX_KINDS + 5; i++) {
            metrics.phaseLatency("service" + i, "prepare", 1_000);
        }

        assertThat(registry.getTimers().get("dtm.participant.order.OTHER").getCount()).isEqualTo(3);
        assertThat(registry.getTimers().get("dtm.participant.OTHER.prepare").getCount()).isEqualTo(6);
        assertThat(registry.getTimers()).containsKey("dtm.participant.service30.prepare")
                .doesNotContainKey("dtm.participant.service31.prepare");
        assertThat(registry.getTimers().keySet().stream().filter(name -> name.startsWith("dtm.participant.")))
                .hasSize((NodeMetrics.MAX_PHASES + 1) + (NodeMetrics.MAX_KINDS - 1) + 1);
    }

    @Test
    void abortReasonsCapAt32KindsPlusOther() {
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 40; i++) {
                metrics.aborted("KIND_" + i);
            }
        }
        metrics.aborted(null);

        assertThat(registry.getMeters().keySet().stream().filter(name -> name.startsWith("dtm.txn.aborted.")))
                .hasSize(NodeMetrics.MAX_KINDS + 1)
                .contains("dtm.txn.aborted.KIND_0", "dtm.txn.aborted.KIND_31", "dtm.txn.aborted.OTHER")
                .doesNotContain("dtm.txn.aborted.KIND_32");
        assertThat(registry.meter("dtm.txn.aborted.KIND_0").getCount()).isEqualTo(2);
        assertThat(registry.meter("dtm.txn.aborted.OTHER").getCount()).isEqualTo(2 * 8 + 1);
        assertThat(registry.meter("dtm.txn.aborted").getCount()).isEqualTo(81);
    }

    @Test
    void retriesAreBoundedTheSameWay() {
        metrics.retries("prepare");
        metrics.retries("prepare");
        metrics.retries("lock");
        for (int i = 0; i < NodeMetrics.MAX_KINDS; i++) {
            metrics.retries("extra" + i);
        }

        assertThat(registry.meter("dtm.txn.retries.prepare").getCount()).isEqualTo(2);
        assertThat(registry.meter("dtm.txn.retries.lock").getCount()).isEqualTo(1);
        assertThat(registry.meter("dtm.txn.retries.OTHER").getCount()).isEqualTo(2);
    }

    @Test
    void countersAndMetersCountEveryCall() {
        metrics.submitted();
        metrics.submitted();
        metrics.committed();
        metrics.rejected();
        metrics.overloaded();
        metrics.timeouts();
        metrics.inDoubtQueries();
        metrics.inDoubtAbortProposals();
        metrics.transactionLatency(TimeUnit.MILLISECONDS.toNanos(20));

        assertThat(registry.meter(NodeMetrics.SUBMITTED).getCount()).isEqualTo(2);
        assertThat(registry.meter(NodeMetrics.COMMITTED).getCount()).isEqualTo(1);
        assertThat(registry.meter(NodeMetrics.REJECTED).getCount()).isEqualTo(1);
        assertThat(registry.meter(NodeMetrics.OVERLOADED).getCount()).isEqualTo(1);
        assertThat(registry.meter(NodeMetrics.TIMEOUTS).getCount()).isEqualTo(1);
        assertThat(registry.counter(NodeMetrics.IN_DOUBT_QUERIES).getCount()).isEqualTo(1);
        assertThat(registry.counter(NodeMetrics.IN_DOUBT_ABORT_PROPOSALS).getCount()).isEqualTo(1);
        assertThat(registry.timer(NodeMetrics.TXN_LATENCY).getCount()).isEqualTo(1);
    }

    @Test
    void gaugesReflectTheirSuppliers() {
        AtomicLong inFlight = new AtomicLong(3);
        AtomicLong backlog = new AtomicLong();
        AtomicLong commit = new AtomicLong(100);
        AtomicLong applied = new AtomicLong(97);
        AtomicLong term = new AtomicLong(2);
        AtomicBoolean leader = new AtomicBoolean(true);
        metrics.registerInFlight(inFlight::get);
        metrics.registerPhase2Backlog(backlog::get);
        metrics.registerRaft(commit::get, applied::get, term::get, leader::get);

        assertThat(gauge(NodeMetrics.IN_FLIGHT)).isEqualTo(3L);
        assertThat(gauge(NodeMetrics.RAFT_APPLY_LAG)).isEqualTo(3L);
        assertThat(gauge(NodeMetrics.RAFT_LEADER)).isEqualTo(1);

        inFlight.set(10);
        backlog.set(4);
        applied.set(100);
        term.set(3);
        leader.set(false);

        assertThat(gauge(NodeMetrics.IN_FLIGHT)).isEqualTo(10L);
        assertThat(gauge(NodeMetrics.PHASE2_BACKLOG)).isEqualTo(4L);
        assertThat(gauge(NodeMetrics.RAFT_COMMIT_INDEX)).isEqualTo(100L);
        assertThat(gauge(NodeMetrics.RAFT_APPLIED_INDEX)).isEqualTo(100L);
        assertThat(gauge(NodeMetrics.RAFT_APPLY_LAG)).isEqualTo(0L);
        assertThat(gauge(NodeMetrics.RAFT_TERM)).isEqualTo(3L);
        assertThat(gauge(NodeMetrics.RAFT_LEADER)).isEqualTo(0);
    }

    @Test
    void registeringAGaugeAgainReplacesTheSupplier() {
        metrics.registerInFlight(() -> 1);
        metrics.registerInFlight(() -> 2);

        assertThat(gauge(NodeMetrics.IN_FLIGHT)).isEqualTo(2L);
    }

    @Test
    void jmxPublishesAndWithdrawsTheMetrics() throws Exception {
        MBeanServer mbeans = ManagementFactory.getPlatformMBeanServer();
        ObjectName all = new ObjectName("dtm.test.jmx:*");
        metrics.submitted();

        metrics.startJmx("dtm.test.jmx");
        try {
            assertThat(mbeans.queryNames(all, null))
                    .anySatisfy(name -> assertThat(name.getKeyProperty("name")).isEqualTo(NodeMetrics.SUBMITTED));
        } finally {
            metrics.stopJmx();
        }

        assertThat(mbeans.queryNames(all, null)).isEmpty();
    }

    private Object gauge(String name) {
        Gauge<?> gauge = registry.getGauges().get(name);
        assertThat(gauge).as(name).isNotNull();
        return gauge.getValue();
    }
}
