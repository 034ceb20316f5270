package io.dtm.coordinator.admin;

import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Renders the node's registry and the extra registries (Ratis's) as one Dropwizard
 * {@code MetricsModule} document: {@code gauges}, {@code counters}, {@code histograms},
 * {@code meters} and {@code timers}, each keyed by metric name.
 *
 * <p>The metrics are gathered into a throw-away registry first, under their prefixed names,
 * because {@code MetricsModule} serialises one registry and fixes its filter when the module is
 * built, whereas here both the set of registries and the filter change per request. The metrics
 * themselves are shared, not copied, so the values are live.
 */
final class MetricsJson {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsJson.class);

    private final ObjectMapper mapper;
    private final MetricRegistry registry;
    private final Supplier<Map<String, MetricRegistry>> extraRegistries;

    /**
     * @param mapper          must have a {@code MetricsModule} registered
     * @param extraRegistries registries by name prefix; their metrics appear as {@code prefix.name}
     */
    MetricsJson(ObjectMapper mapper, MetricRegistry registry, Supplier<Map<String, MetricRegistry>> extraRegistries) {
        this.mapper = mapper;
        this.registry = registry;
        this.extraRegistries = extraRegistries;
    }

    /** The metrics whose full name contains {@code filter} (all of them when it is null or empty). */
    byte[] render(String filter) throws JsonProcessingException {
        String needle = filter == null ? "" : filter;
        MetricRegistry view = new MetricRegistry();
        Set<String> names = new HashSet<>();
        addAll(view, names, null, registry, needle);
        Map<String, MetricRegistry> extras = extraRegistries.get();
        if (extras != null) {
            extras.forEach((prefix, extra) -> addAll(view, names, prefix, extra, needle));
        }
        return mapper.writeValueAsBytes(view);
    }

    private static void addAll(MetricRegistry view, Set<String> names, String prefix, MetricRegistry source,
                               String needle) {
        if (source == null) {
            return;
        }
        for (Map.Entry<String, Metric> entry : source.getMetrics().entrySet()) {
            String name = MetricRegistry.name(prefix, entry.getKey());
            if (!name.contains(needle)) {
                continue;
            }
            // First one wins: an extra registry must not hide (or fail the page over) a node metric.
            if (names.add(name)) {
                view.register(name, entry.getValue());
            } else {
                LOG.debug("Metric {} exists in more than one registry; showing the first", name);
            }
        }
    }
}
