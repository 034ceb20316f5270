package io.dtm.bench;

import com.arjuna.ats.arjuna.common.CoreEnvironmentBeanException;
import com.arjuna.ats.arjuna.common.ObjectStoreEnvironmentBean;
import com.arjuna.ats.arjuna.common.arjPropertyManager;
import com.arjuna.ats.arjuna.coordinator.TxControl;
import com.arjuna.ats.arjuna.objectstore.StoreManager;
import com.arjuna.common.internal.util.propertyservice.BeanPopulator;
import jakarta.transaction.Transaction;
import jakarta.transaction.TransactionManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * The Narayana baseline: what an embedded JTA transaction manager with its default durable object
 * store achieves on a two-phase commit of four resource managers that do no work.
 *
 * <p>Every transaction begins, enlists four {@link NoOpXaResource}s, and commits: Narayana prepares
 * all four, writes the transaction's log record to its object store (synced to disk, its default),
 * commits all four, and deletes the record. Whatever a run measures is therefore the cost of the
 * transaction manager itself: its coordination and its log write.
 *
 * <p>Narayana is configured once per JVM, through its property beans, before its transaction
 * manager is first used; a later run in the same JVM must use the same object store directory, and
 * none can follow {@link #shutdown}.
 */
public final class BaselineRun {

    /** Resource managers in each transaction: as many as the services of a DTM order. */
    public static final int RESOURCES_PER_TRANSACTION = 4;

    /** Names this process to Narayana, which writes it into every transaction id. */
    private static final String NODE_IDENTIFIER = "dtmbench";

    private static final String NARAYANA_POM = "/META-INF/maven/org.jboss.narayana.jta/narayana-jta/pom.properties";

    /** Guarded by the class, as both below: Narayana's configuration is global to the JVM. */
    private static Path configuredStoreDir;
    private static boolean shutDown;

    private BaselineRun() {
    }

    /** Runs the load of {@code options}; fails if any transaction does not commit as expected. */
    public static BaselineResult run(BaselineOptions options) throws InterruptedException {
        TransactionManager tm = transactionManager(options.storeDir());
        ResourceLedger ledger = new ResourceLedger();
        AtomicBoolean failed = new AtomicBoolean();
        long start = System.nanoTime();
        long measureFrom = start + options.warmupSeconds() * 1_000_000_000L;
        long end = measureFrom + options.durationSeconds() * 1_000_000_000L;

        List<Future<WorkerResult>> workers = new ArrayList<>(options.concurrency());
        ExecutorService pool = Executors.newFixedThreadPool(options.concurrency(), namedThreads());
        try {
            for (int i = 0; i < options.concurrency(); i++) {
                workers.add(pool.submit(() -> work(tm, ledger, measureFrom, end, failed)));
            }
            Histogram latencyMicros = new Histogram(3);
            long committed = 0;
            long totalCommitted = 0;
            long lastFinished = end;
            for (Future<WorkerResult> worker : workers) {
                WorkerResult r = join(worker);
                latencyMicros.add(r.latencyMicros());
                committed += r.measured();
                totalCommitted += r.total();
                lastFinished = Math.max(lastFinished, r.finishedNanos());
            }
            double seconds = (lastFinished - measureFrom) / 1e9;
            return new BaselineResult(version(), options.concurrency(), seconds, committed, latencyMicros,
                    totalCommitted, ledger.counts(), options.storeDir());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Stops Narayana's transaction status manager and closes its object stores; no run can follow in
     * this JVM. Call it before deleting the object store directory: otherwise the status manager's
     * shutdown hook removes its record from the store at exit, and recreates the directories to do so.
     */
    public static synchronized void shutdown() {
        if (configuredStoreDir != null && !shutDown) {
            TxControl.disable(true);
            StoreManager.shutdown();
        }
        shutDown = true;
    }

    /** Narayana's version, from the Maven metadata inside its jar. */
    private static String version() {
        try (InputStream in = com.arjuna.ats.jta.TransactionManager.class.getResourceAsStream(NARAYANA_POM)) {
            if (in == null) {
                throw new IllegalStateException("Narayana's jar has no " + NARAYANA_POM);
            }
            Properties pom = new Properties();
            pom.load(in);
            return pom.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + NARAYANA_POM, e);
        }
    }

    /** Per worker: its latencies and counts, and when it stopped. */
    private record WorkerResult(Histogram latencyMicros, long measured, long total, long finishedNanos) {
    }

    /** Closed loop until {@code end}: one transaction after another; stops early if another worker failed. */
    private static WorkerResult work(TransactionManager tm, ResourceLedger ledger, long measureFrom, long end,
            AtomicBoolean failed) throws Exception {
        Histogram latencyMicros = new Histogram(3);
        long measured = 0;
        long total = 0;
        try {
            while (!failed.get()) {
                long started = System.nanoTime();
                if (started >= end) {
                    break;
                }
                commitOne(tm, ledger);
                long done = System.nanoTime();
                total++;
                if (started >= measureFrom) {
                    latencyMicros.recordValue((done - started) / 1_000);
                    measured++;
                }
            }
        } catch (Exception | Error e) {
            failed.set(true);
            throw e;
        }
        return new WorkerResult(latencyMicros, measured, total, System.nanoTime());
    }

    private static void commitOne(TransactionManager tm, ResourceLedger ledger) throws Exception {
        NoOpXaResource[] resources = new NoOpXaResource[RESOURCES_PER_TRANSACTION];
        tm.begin();
        Transaction txn = tm.getTransaction();
        for (int i = 0; i < resources.length; i++) {
            resources[i] = new NoOpXaResource(ledger);
            if (!txn.enlistResource(resources[i])) {
                throw new IllegalStateException("Narayana refused to enlist resource " + i + " of " + txn);
            }
        }
        tm.commit();
        for (NoOpXaResource resource : resources) {
            if (resource.phase() != NoOpXaResource.Phase.COMMITTED) {
                throw new IllegalStateException("commit of " + txn + " returned with a resource "
                        + resource.phase());
            }
        }
    }

    private static WorkerResult join(Future<WorkerResult> worker) throws InterruptedException {
        try {
            return worker.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("a baseline transaction failed: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Points every Narayana object store at {@code storeDir}, keeping the default store type and
     * its synced writes, and returns the transaction manager. The communication and state stores
     * are beans of their own, each with a directory of its own.
     */
    private static synchronized TransactionManager transactionManager(Path storeDir) {
        if (shutDown) {
            throw new IllegalStateException("Narayana was shut down in this JVM");
        }
        if (configuredStoreDir == null) {
            String dir = storeDir.toString();
            arjPropertyManager.getObjectStoreEnvironmentBean().setObjectStoreDir(dir);
            BeanPopulator.getNamedInstance(ObjectStoreEnvironmentBean.class, "communicationStore")
                    .setObjectStoreDir(dir);
            BeanPopulator.getNamedInstance(ObjectStoreEnvironmentBean.class, "stateStore").setObjectStoreDir(dir);
            try {
                arjPropertyManager.getCoreEnvironmentBean().setNodeIdentifier(NODE_IDENTIFIER);
            } catch (CoreEnvironmentBeanException e) {
                throw new IllegalStateException("Narayana refused node identifier " + NODE_IDENTIFIER, e);
            }
            configuredStoreDir = storeDir;
        } else if (!configuredStoreDir.equals(storeDir)) {
            throw new IllegalStateException("Narayana is configured once per JVM: its object store is "
                    + configuredStoreDir + ", cannot switch to " + storeDir);
        }
        return com.arjuna.ats.jta.TransactionManager.transactionManager();
    }

    private static ThreadFactory namedThreads() {
        AtomicInteger next = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, "baseline-worker-" + next.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
