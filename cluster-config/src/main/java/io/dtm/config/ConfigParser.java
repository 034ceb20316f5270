package io.dtm.config;

import io.dtm.config.YamlMapping.DoubleRange;
import io.dtm.config.YamlMapping.Range;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns YAML text into a validated {@link ClusterConfig}: snakeyaml-engine builds plain maps and
 * lists, and a walker over them checks every key and collects every problem before giving up.
 * Defaults come from the {@code defaults()} factories of the records, the only place they are written.
 */
final class ConfigParser {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigParser.class);

    static final List<String> TOP_KEYS = List.of("name", "dataDir", "nodes", "services", "timeouts", "log", "participants",
            "coordinator", "limits", "tls");
    static final List<String> TLS_KEYS = List.of("enabled", "dir", "caFile", "certFile", "keyFile");
    static final List<String> NODE_KEYS = List.of("id", "host", "clientPort", "raftPort", "adminPort");
    static final List<String> SERVICE_KEYS = List.of("host", "port", "faults");
    static final List<String> FAULTS_KEYS = List.of("latencyMinMs", "latencyMaxMs", "dropProbability", "forceNoProbability",
            "crashAt", "unavailable");
    static final List<String> WINDOW_KEYS = List.of("afterMs", "forMs");
    static final List<String> TIMEOUT_KEYS = List.of("electionMinMs", "electionMaxMs", "rpcTimeoutMs", "startupTimeoutMs");
    static final List<String> LOG_KEYS = List.of("groups", "replication", "snapshotEveryEntries", "segmentSizeBytes",
            "retention", "groupCommit");
    static final Range GROUPS = new Range(1, LogConfig.MAX_GROUPS, "must be between 1 and " + LogConfig.MAX_GROUPS);
    static final Range REPLICATION = new Range(1, 99, "must be between 1 and the number of nodes");
    static final List<String> RETENTION_KEYS = List.of("maxOutcomes", "maxAgeMs", "maxForgotten");
    static final List<String> GROUP_COMMIT_KEYS = List.of("maxRecords", "maxOutstandingBatches",
            "replicationIntervalMs");
    /** Keys of earlier builds that a file may still hold: accepted, ignored, warned about; with why. */
    static final Map<String, String> RETIRED_GROUP_COMMIT_KEYS = Map.of("maxDelayMicros",
            "a batch leaves as soon as the one ahead of it is answered, with no timer to wait out");
    static final List<String> PARTICIPANTS_KEYS = List.of("inDoubtTimeoutMs", "maxBatch", "faultInjection");
    static final Range MAX_BATCH = new Range(1, 65_536, "must be between 1 and 65536");
    static final Range REPLICATION_INTERVAL = new Range(0, 1_000, "must be between 0 and 1000");
    static final List<String> COORDINATOR_KEYS = List.of("prepareTimeoutMs", "prepareAttempts", "retryBackoffMs",
            "retryBackoffMaxMs", "transactionTimeoutMs", "maxAttempts", "lockBackoffMs", "maxInFlight", "resultCacheSize");
    static final Range PREPARE_ATTEMPTS = new Range(1, 100, "must be between 1 and 100");
    static final Range MAX_ATTEMPTS = new Range(1, 20, "must be between 1 and 20");
    static final Range TRANSACTION_TIMEOUT = new Range(1, 600_000, "must be between 1 and 600000");
    static final Range MAX_IN_FLIGHT = new Range(1, 1_000_000, "must be between 1 and 1000000");
    static final Range RESULT_CACHE_SIZE = new Range(0, 10_000_000, "must be between 0 and 10000000");
    static final Range MAX_FORGOTTEN = new Range(0, 100_000_000, "must be between 0 and 100000000");
    static final List<String> LIMITS_KEYS = List.of("maxConnections", "maxInFlightPerConnection", "idleTimeoutMs",
            "maxReasonChars");
    static final Range MAX_CONNECTIONS = new Range(1, 1_000_000, "must be between 1 and 1000000");
    static final Range MAX_IN_FLIGHT_PER_CONNECTION = new Range(1, 1_000_000, "must be between 1 and 1000000");
    static final Range IDLE_TIMEOUT = new Range(0, 86_400_000, "must be between 0 (never) and 86400000");
    // At least 256: an in-doubt participant's own reason and proposer name (under 100 characters) always fit.
    static final Range MAX_REASON_CHARS = new Range(256, 65_536, "must be between 256 and 65536");

    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9_-]{1,32}");

    private final String source;
    private final List<String> problems = new ArrayList<>();
    private final List<PortUse> ports = new ArrayList<>();

    private ConfigParser(String source) {
        this.source = source;
    }

    /** Parses and validates; throws {@link ConfigException} listing every problem found. */
    static ClusterConfig parse(String yamlText, String source) {
        return new ConfigParser(source).read(loadYaml(yamlText, source));
    }

    /**
     * Loads YAML into maps, lists and scalars. Syntax errors stop here, since nothing after
     * them can be trusted. Duplicate keys are refused: with them, which value wins is a guess.
     */
    static Object loadYaml(String yamlText, String source) {
        LoadSettings settings = LoadSettings.builder()
                .setLabel(source)
                .setAllowDuplicateKeys(false)
                .build();
        try {
            return new Load(settings).loadFromString(yamlText);
        } catch (MarkedYamlEngineException e) {
            throw new ConfigException(source, List.of(describe(e)));
        } catch (YamlEngineException e) {
            throw new ConfigException(source, List.of("YAML error: " + e.getMessage()));
        }
    }

    private static String describe(MarkedYamlEngineException e) {
        StringBuilder text = new StringBuilder("YAML error");
        e.getProblemMark().ifPresent(mark -> text.append(" at ").append(position(mark)));
        text.append(": ").append(e.getProblem());
        if (e.getContext() != null) {
            text.append(" (").append(e.getContext());
            e.getContextMark().ifPresent(mark -> text.append(" at ").append(position(mark)));
            text.append(')');
        }
        return text.toString();
    }

    private static String position(Mark mark) {
        // Marks count from zero; editors count from one.
        return "line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1);
    }

    private ClusterConfig read(Object document) {
        if (document == null) {
            throw new ConfigException(source, List.of("the file is empty (expected a mapping with name, nodes and services)"));
        }
        if (!(document instanceof Map)) {
            throw new ConfigException(source, List.of("top level: expected a mapping, got " + YamlMapping.describe(document)));
        }
        YamlMapping top = YamlMapping.of("", document, problems, TOP_KEYS);
        String name = matching(top, "name", NAME);
        Path dataDir = dataDir(top);
        List<NodeConfig> nodes = nodes(top);
        Map<ServiceName, ServiceConfig> services = services(top);
        TimeoutsConfig timeouts = timeouts(top.section("timeouts", TIMEOUT_KEYS));
        LogConfig log = log(top.section("log", LOG_KEYS));
        ParticipantsConfig participants = participants(top.section("participants", PARTICIPANTS_KEYS));
        CoordinatorConfig coordinator = coordinator(top.section("coordinator", COORDINATOR_KEYS));
        LimitsConfig limits = limits(top.section("limits", LIMITS_KEYS));
        TlsConfig tls = tls(top.section("tls", TLS_KEYS));
        problems.addAll(PortUse.conflicts(ports));
        problems.addAll(faultsNeedInjection(services, participants));
        if (nodes.size() > 0 && log.replication() > nodes.size()) {
            problems.add("log.replication: " + log.replication() + " is more than the " + nodes.size()
                    + " node(s) of the cluster: a group cannot live on more nodes than there are");
        }
        if (limits.maxInFlightPerConnection() < coordinator.maxInFlight()) {
            // The leader's connection to a service carries a request of every transaction in flight.
            problems.add("limits.maxInFlightPerConnection: " + limits.maxInFlightPerConnection() + " is below "
                    + "coordinator.maxInFlight (" + coordinator.maxInFlight() + "): a node's connection to a service "
                    + "carries a request of every transaction in flight; raise it to at least " + coordinator.maxInFlight());
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(source, problems);
        }
        return new ClusterConfig(name, dataDir, nodes, services, timeouts, log, participants, coordinator, limits, tls,
                source);
    }

    private static String matching(YamlMapping mapping, String key, Pattern pattern) {
        String value = mapping.requiredString(key);
        if (value != null && !pattern.matcher(value).matches()) {
            mapping.problem(key, "must match " + pattern.pattern() + ", got " + YamlMapping.describe(value));
            return null;
        }
        return value;
    }

    private static Path dataDir(YamlMapping top) {
        String dir = top.optionalString("dataDir", ClusterConfig.DEFAULT_DATA_DIR.toString());
        try {
            return Path.of(dir);
        } catch (InvalidPathException e) {
            top.problem("dataDir", "not a valid path: " + e.getReason());
            return ClusterConfig.DEFAULT_DATA_DIR;
        }
    }

    private List<NodeConfig> nodes(YamlMapping top) {
        List<NodeConfig> nodes = new ArrayList<>();
        if (!top.has("nodes")) {
            top.problem("nodes", "missing");
            return nodes;
        }
        if (!(top.raw("nodes") instanceof List<?> entries)) {
            top.problem("nodes", "expected a list, got " + YamlMapping.describe(top.raw("nodes")));
            return nodes;
        }
        if (entries.isEmpty()) {
            top.problem("nodes", "must list at least one node");
        }
        Map<String, String> idPaths = new HashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            YamlMapping entry = YamlMapping.of("nodes[" + i + "]", entries.get(i), problems, NODE_KEYS);
            if (entry == null) {
                continue;
            }
            String id = matching(entry, "id", NODE_ID);
            if (id != null) {
                String earlier = idPaths.putIfAbsent(id, entry.pathOf("id"));
                if (earlier != null) {
                    entry.problem("id", "duplicate node id \"" + id + "\" (also " + earlier + ")");
                }
            }
            String host = entry.requiredToken("host");
            Integer clientPort = port(entry, host, "clientPort");
            Integer raftPort = port(entry, host, "raftPort");
            Integer adminPort = port(entry, host, "adminPort");
            if (id != null && host != null && clientPort != null && raftPort != null && adminPort != null) {
                nodes.add(new NodeConfig(id, host, clientPort, raftPort, adminPort));
            }
        }
        return nodes;
    }

    private Map<ServiceName, ServiceConfig> services(YamlMapping top) {
        Map<ServiceName, ServiceConfig> services = new EnumMap<>(ServiceName.class);
        if (!top.has("services")) {
            top.problem("services", "missing");
            return services;
        }
        // Keys are checked against ServiceName below, where the problem can say "unknown service".
        YamlMapping section = YamlMapping.of("services", top.raw("services"), problems, null);
        if (section == null) {
            return services;
        }
        for (Object key : section.keys()) {
            Optional<ServiceName> name = key instanceof String id ? ServiceName.fromId(id) : Optional.empty();
            if (name.isEmpty()) {
                section.problem(String.valueOf(key), "unknown service (expected one of: " + ServiceName.knownIds() + ")");
                continue;
            }
            YamlMapping entry = YamlMapping.of(section.pathOf(key), section.raw(key), problems, SERVICE_KEYS);
            if (entry == null) {
                continue;
            }
            String host = entry.requiredToken("host");
            Integer port = port(entry, host, "port");
            FaultsConfig faults = faults(entry.section("faults", FAULTS_KEYS));
            if (host != null && port != null) {
                services.put(name.get(), new ServiceConfig(host, port, faults));
            }
        }
        for (ServiceName name : ServiceName.values()) {
            if (!section.has(name.id())) {
                section.problem(name.id(), "missing");
            }
        }
        return services;
    }

    /** A required port; remembered for the duplicate check when both it and its host are valid. */
    private Integer port(YamlMapping mapping, String host, String key) {
        Integer port = mapping.requiredInt(key, Range.PORT);
        if (port != null && host != null) {
            ports.add(new PortUse(mapping.pathOf(key), host, port));
        }
        return port;
    }

    private FaultsConfig faults(YamlMapping section) {
        FaultsConfig none = FaultsConfig.none();
        if (section == null) {
            return none;
        }
        int before = problems.size();
        long latencyMin = section.optionalLong("latencyMinMs", Range.NON_NEGATIVE, none.latencyMinMs());
        long latencyMax = section.optionalLong("latencyMaxMs", Range.NON_NEGATIVE, none.latencyMaxMs());
        // As with the election range: a bad bound was replaced by its default and would mislead.
        if (problems.size() == before && latencyMin > latencyMax) {
            section.problem("latencyMinMs", "must not be greater than " + section.pathOf("latencyMaxMs")
                    + " (" + latencyMax + "), got " + latencyMin);
        }
        return new FaultsConfig(latencyMin, latencyMax,
                section.optionalDouble("dropProbability", DoubleRange.PROBABILITY, none.dropProbability()),
                section.optionalDouble("forceNoProbability", DoubleRange.PROBABILITY, none.forceNoProbability()),
                section.optionalEnum("crashAt", CrashPoint.class, none.crashAt()),
                windows(section));
    }

    private List<UnavailableWindow> windows(YamlMapping faults) {
        List<?> entries = faults.optionalList("unavailable");
        List<UnavailableWindow> windows = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            YamlMapping entry = YamlMapping.of(faults.pathOf("unavailable") + "[" + i + "]", entries.get(i), problems,
                    WINDOW_KEYS);
            if (entry == null) {
                continue;
            }
            Long afterMs = entry.requiredLong("afterMs", Range.NON_NEGATIVE);
            Long forMs = entry.requiredLong("forMs", Range.POSITIVE);
            if (afterMs != null && forMs != null) {
                windows.add(new UnavailableWindow(afterMs, forMs));
            }
        }
        return windows;
    }

    private TimeoutsConfig timeouts(YamlMapping section) {
        TimeoutsConfig defaults = TimeoutsConfig.defaults();
        if (section == null) {
            return defaults;
        }
        int before = problems.size();
        long electionMin = section.optionalLong("electionMinMs", Range.POSITIVE, defaults.electionMinMs());
        long electionMax = section.optionalLong("electionMaxMs", Range.POSITIVE, defaults.electionMaxMs());
        // Compare only valid values: a bad one was replaced by its default and would mislead.
        if (problems.size() == before && electionMin >= electionMax) {
            section.problem("electionMinMs", "must be less than " + section.pathOf("electionMaxMs")
                    + " (" + electionMax + "), got " + electionMin);
        }
        return new TimeoutsConfig(electionMin, electionMax,
                section.optionalLong("rpcTimeoutMs", Range.POSITIVE, defaults.rpcTimeoutMs()),
                section.optionalLong("startupTimeoutMs", Range.POSITIVE, defaults.startupTimeoutMs()));
    }

    private LogConfig log(YamlMapping section) {
        LogConfig defaults = LogConfig.defaults();
        if (section == null) {
            return defaults;
        }
        return new LogConfig(
                section.optionalLong("snapshotEveryEntries", Range.POSITIVE, defaults.snapshotEveryEntries()),
                section.optionalLong("segmentSizeBytes", Range.POSITIVE, defaults.segmentSizeBytes()),
                retention(section.section("retention", RETENTION_KEYS), defaults.retention()),
                groupCommit(section.section("groupCommit", GROUP_COMMIT_KEYS, RETIRED_GROUP_COMMIT_KEYS.keySet()),
                        defaults.groupCommit()),
                section.optionalInt("groups", GROUPS, defaults.groups()),
                section.optionalInt("replication", REPLICATION, defaults.replication()));
    }

    private static RetentionConfig retention(YamlMapping section, RetentionConfig defaults) {
        if (section == null) {
            return defaults;
        }
        return new RetentionConfig(
                section.optionalInt("maxOutcomes", Range.POSITIVE_INT, defaults.maxOutcomes()),
                section.optionalLong("maxAgeMs", Range.POSITIVE, defaults.maxAgeMs()),
                section.optionalInt("maxForgotten", MAX_FORGOTTEN, defaults.maxForgotten()));
    }

    private static GroupCommitConfig groupCommit(YamlMapping section, GroupCommitConfig defaults) {
        if (section == null) {
            return defaults;
        }
        for (Map.Entry<String, String> retired : RETIRED_GROUP_COMMIT_KEYS.entrySet()) {
            if (section.keys().contains(retired.getKey())) {
                LOG.warn("log.groupCommit.{} is no longer used and is ignored: {}; remove it from the file",
                        retired.getKey(), retired.getValue());
            }
        }
        return new GroupCommitConfig(
                section.optionalInt("maxRecords", Range.POSITIVE_INT, defaults.maxRecords()),
                section.optionalInt("maxOutstandingBatches", Range.POSITIVE_INT, defaults.maxOutstandingBatches()),
                section.optionalLong("replicationIntervalMs", REPLICATION_INTERVAL, defaults.replicationIntervalMs()));
    }

    /**
     * A service's {@code faults} section with fault injection off is refused, not ignored: the file's
     * author meant faults to play, and a test that thinks it injects them must not pass without them.
     */
    private static List<String> faultsNeedInjection(Map<ServiceName, ServiceConfig> services,
            ParticipantsConfig participants) {
        if (participants.faultInjection()) {
            return List.of();
        }
        return services.entrySet().stream()
                .filter(e -> !e.getValue().faults().isNone())
                .map(e -> "services." + e.getKey().id() + ".faults: fault injection is off; it is a test feature, "
                        + "turned on with participants.faultInjection: true")
                .toList();
    }

    private static TlsConfig tls(YamlMapping section) {
        TlsConfig defaults = TlsConfig.defaults();
        if (section == null) {
            return defaults;
        }
        return new TlsConfig(section.optionalBoolean("enabled", defaults.enabled()),
                optionalPath(section, "dir"), optionalPath(section, "caFile"),
                optionalPattern(section, "certFile"), optionalPattern(section, "keyFile"));
    }

    private static Path optionalPath(YamlMapping section, String key) {
        String text = section.has(key) ? section.optionalString(key, null) : null;
        if (text == null) {
            return null;
        }
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            section.problem(key, "not a valid path: " + e.getReason());
            return null;
        }
    }

    /** A file name in which {name} stands for each process's own: it must be there, or all would share one file. */
    private static String optionalPattern(YamlMapping section, String key) {
        Path path = optionalPath(section, key);
        if (path == null) {
            return null;
        }
        String text = path.toString();
        if (!text.contains(TlsConfig.NAME)) {
            section.problem(key, "must contain " + TlsConfig.NAME + " (each process's name: n1, payment, admin, ...),"
                    + " got " + YamlMapping.describe(text));
            return null;
        }
        return text;
    }

    private static LimitsConfig limits(YamlMapping section) {
        LimitsConfig defaults = LimitsConfig.defaults();
        if (section == null) {
            return defaults;
        }
        return new LimitsConfig(
                section.optionalInt("maxConnections", MAX_CONNECTIONS, defaults.maxConnections()),
                section.optionalInt("maxInFlightPerConnection", MAX_IN_FLIGHT_PER_CONNECTION,
                        defaults.maxInFlightPerConnection()),
                section.optionalLong("idleTimeoutMs", IDLE_TIMEOUT, defaults.idleTimeoutMs()),
                section.optionalInt("maxReasonChars", MAX_REASON_CHARS, defaults.maxReasonChars()));
    }

    private static ParticipantsConfig participants(YamlMapping section) {
        ParticipantsConfig defaults = ParticipantsConfig.defaults();
        if (section == null) {
            return defaults;
        }
        return new ParticipantsConfig(
                section.optionalLong("inDoubtTimeoutMs", Range.POSITIVE, defaults.inDoubtTimeoutMs()),
                section.optionalInt("maxBatch", MAX_BATCH, defaults.maxBatch()),
                section.optionalBoolean("faultInjection", defaults.faultInjection()));
    }

    private CoordinatorConfig coordinator(YamlMapping section) {
        CoordinatorConfig defaults = CoordinatorConfig.defaults();
        if (section == null) {
            return defaults;
        }
        // Read in the documented key order, so that problems are reported in it too.
        long prepareTimeout = section.optionalLong("prepareTimeoutMs", Range.POSITIVE, defaults.prepareTimeoutMs());
        int prepareAttempts = section.optionalInt("prepareAttempts", PREPARE_ATTEMPTS, defaults.prepareAttempts());
        int before = problems.size();
        long backoff = section.optionalLong("retryBackoffMs", Range.POSITIVE, defaults.retryBackoffMs());
        long backoffMax = section.optionalLong("retryBackoffMaxMs", Range.POSITIVE, defaults.retryBackoffMaxMs());
        // As with the election range: a bad bound was replaced by its default and would mislead.
        if (problems.size() == before && backoff > backoffMax) {
            section.problem("retryBackoffMs", "must not be greater than " + section.pathOf("retryBackoffMaxMs")
                    + " (" + backoffMax + "), got " + backoff);
        }
        return new CoordinatorConfig(prepareTimeout, prepareAttempts, backoff, backoffMax,
                section.optionalLong("transactionTimeoutMs", TRANSACTION_TIMEOUT, defaults.transactionTimeoutMs()),
                section.optionalInt("maxAttempts", MAX_ATTEMPTS, defaults.maxAttempts()),
                section.optionalLong("lockBackoffMs", Range.POSITIVE, defaults.lockBackoffMs()),
                section.optionalInt("maxInFlight", MAX_IN_FLIGHT, defaults.maxInFlight()),
                section.optionalInt("resultCacheSize", RESULT_CACHE_SIZE, defaults.resultCacheSize()));
    }
}
