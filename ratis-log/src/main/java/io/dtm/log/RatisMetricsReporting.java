package io.dtm.log;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.jmx.JmxReporter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.dropwizard3.Dm3RatisMetricRegistryImpl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Reports Ratis's own metrics over JMX with Dropwizard Metrics 4.
 *
 * <p>Why this exists: {@code ratis-metrics-dropwizard3} keeps its metrics in Dropwizard
 * {@code MetricRegistry}s (the same classes in Metrics 4), but when no reporter is registered it
 * starts Metrics 3's JMX reporter, whose classes moved to {@code metrics-jmx} in Metrics 4, and
 * building a server fails with {@code NoClassDefFoundError: com/codahale/metrics/ObjectNameFactory}.
 * Registering our own reporter first avoids that path and gives the same JMX beans.
 */
public final class RatisMetricsReporting {
    private static final AtomicBoolean INSTALLED = new AtomicBoolean();
    private static final Map<MetricRegistryInfo, JmxReporter> REPORTERS = new ConcurrentHashMap<>();

    private RatisMetricsReporting() {
    }

    /** Idempotent; must run before the first Ratis server or client of the process is built. */
    public static void install() {
        if (INSTALLED.compareAndSet(false, true)) {
            MetricRegistries.global().addReporterRegistration(RatisMetricsReporting::start, RatisMetricsReporting::stop);
        }
    }

    /** The Dropwizard registry behind a Ratis registry, for exporting it elsewhere (e.g. JSON). */
    public static MetricRegistry dropwizard(RatisMetricRegistry registry) {
        return ((Dm3RatisMetricRegistryImpl) registry).getDropWizardMetricRegistry();
    }

    private static void start(RatisMetricRegistry registry) {
        MetricRegistryInfo info = registry.getMetricRegistryInfo();
        // One JMX domain per registry: three servers in one JVM (tests) register the same names.
        String domain = "ratis." + info.getPrefix().replaceAll("[^A-Za-z0-9._-]", "_");
        JmxReporter reporter = JmxReporter.forRegistry(dropwizard(registry)).inDomain(domain).build();
        reporter.start();
        JmxReporter previous = REPORTERS.put(info, reporter);
        if (previous != null) {
            previous.stop();
        }
    }

    private static void stop(RatisMetricRegistry registry) {
        JmxReporter reporter = REPORTERS.remove(registry.getMetricRegistryInfo());
        if (reporter != null) {
            reporter.stop();
        }
    }
}
