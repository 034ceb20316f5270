package io.dtm.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;

/**
 * The configuration of one cluster: its coordinator nodes, the four participant services and the
 * faults they inject, where they keep their data, timeouts, and tuning of the replicated log, of
 * the participants and of the coordinator.
 *
 * <p>Instances from {@link #load}, {@link #parse} and {@link #loadDefault} are validated: every
 * key is known, every value has the right type and range, ids and ports are unique, and all four
 * services are present. The canonical constructor only checks for nulls, so code that builds a
 * configuration by hand is responsible for its sanity.
 *
 * @param name         cluster name, {@code [A-Za-z0-9_-]{1,64}}; also seeds the Raft group id
 * @param dataDir      root of all durable state; relative paths resolve against the working directory
 * @param nodes        the coordinator nodes, in file order, at least one
 * @param services     where each participant service listens and the faults it injects, one entry
 *                     per {@link ServiceName}
 * @param timeouts     election, RPC and startup timeouts
 * @param log          snapshot, segment, retention and group-commit settings of the log
 * @param participants in-doubt timeout and group commit of the participant services
 * @param coordinator  timeouts, retries and admission limits of the leader's two-phase commit
 * @param limits       what one client may take of a server (connections, requests in flight, idle time, text)
 * @param tls          where the cluster's secrets live ({@link #tlsDir()})
 * @param source       where the configuration came from, for messages: a file path or {@code classpath:local.yaml}
 */
public record ClusterConfig(String name, Path dataDir, List<NodeConfig> nodes, Map<ServiceName, ServiceConfig> services,
        TimeoutsConfig timeouts, LogConfig log, ParticipantsConfig participants, CoordinatorConfig coordinator,
        LimitsConfig limits, TlsConfig tls, String source) {

    /** Where data goes when a file does not say. */
    public static final Path DEFAULT_DATA_DIR = Path.of("run/local/data");

    /** The bundled default, a copy of {@code conf/local.yaml}, relative to this class. */
    private static final String DEFAULT_RESOURCE = "local.yaml";

    public ClusterConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(participants, "participants");
        Objects.requireNonNull(coordinator, "coordinator");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(source, "source");
        nodes = List.copyOf(nodes);
        // An EnumMap keeps services in declaration order, whatever order the caller used.
        Map<ServiceName, ServiceConfig> ordered = new EnumMap<>(ServiceName.class);
        ordered.putAll(services);
        services = Collections.unmodifiableMap(ordered);
    }

    /** With the default {@link LimitsConfig} and {@link TlsConfig}. */
    public ClusterConfig(String name, Path dataDir, List<NodeConfig> nodes, Map<ServiceName, ServiceConfig> services,
            TimeoutsConfig timeouts, LogConfig log, ParticipantsConfig participants, CoordinatorConfig coordinator,
            String source) {
        this(name, dataDir, nodes, services, timeouts, log, participants, coordinator, LimitsConfig.defaults(),
                TlsConfig.defaults(), source);
    }

    /** Reads and validates a configuration file; throws {@link ConfigException} listing every problem. */
    public static ClusterConfig load(Path file) {
        String source = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(source, List.of("cannot read the file: it does not exist"));
        } catch (CharacterCodingException e) {
            throw new ConfigException(source, List.of("cannot read the file: it is not valid UTF-8"));
        } catch (IOException e) {
            throw new ConfigException(source, List.of("cannot read the file: " + e));
        }
        return parse(text, source);
    }

    /** Parses and validates YAML text; {@code source} names it in messages. */
    public static ClusterConfig parse(String yamlText, String source) {
        return ConfigParser.parse(yamlText, source);
    }

    /** The bundled default configuration: three nodes and four services on 127.0.0.1. */
    public static ClusterConfig loadDefault() {
        try (InputStream in = ClusterConfig.class.getResourceAsStream(DEFAULT_RESOURCE)) {
            if (in == null) {
                // Only a broken build gets here: the pom copies conf/local.yaml next to this class.
                throw new IllegalStateException("io/dtm/config/" + DEFAULT_RESOURCE + " is missing from the classpath");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "classpath:" + DEFAULT_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled " + DEFAULT_RESOURCE, e);
        }
    }

    /** {@link #load(Path)} the file if one is given, otherwise {@link #loadDefault()}. */
    public static ClusterConfig loadOrDefault(Path fileOrNull) {
        return fileOrNull == null ? loadDefault() : load(fileOrNull);
    }

    /** The node with this id; throws {@link ConfigException} naming it and the known ids if there is none. */
    public NodeConfig node(String id) {
        return nodes.stream()
                .filter(node -> node.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new ConfigException(source, List.of("no node with id \"" + id + "\" (known ids: "
                        + nodes.stream().map(NodeConfig::id).collect(Collectors.joining(", ")) + ")")));
    }

    /** The service's address; every validated configuration has all four. */
    public ServiceConfig service(ServiceName service) {
        ServiceConfig config = services.get(service);
        if (config == null) {
            throw new ConfigException(source, List.of("services." + service.id() + ": missing"));
        }
        return config;
    }

    /** {@code <dataDir>/<nodeId>}, where a node keeps its Raft log and snapshots. */
    public Path nodeDataDir(String nodeId) {
        return dataDir.resolve(nodeId);
    }

    /** {@code <dataDir>/<service id>}, where a participant service keeps its store. */
    public Path serviceDataDir(ServiceName service) {
        return dataDir.resolve(service.id());
    }

    /** A copy with another data directory, e.g. a test's temporary directory. */
    public ClusterConfig withDataDir(Path dir) {
        return new ClusterConfig(name, dir, nodes, services, timeouts, log, participants, coordinator, limits, tls, source);
    }

    /** The directory of the cluster's secrets and certificates: {@code tls.dir}, else {@code tls} beside dataDir. */
    public Path tlsDir() {
        return tls.dirFor(dataDir);
    }

    /** The CA certificates every process trusts. */
    public Path tlsCaFile() {
        return tls.caFile() != null ? tls.caFile() : tlsDir().resolve("ca.pem");
    }

    /** The certificate chain of the process named {@code process} (n1, payment, admin, client). */
    public Path tlsCertFile(String process) {
        return tls.certFile() != null ? Path.of(tls.certFile().replace(TlsConfig.NAME, process))
                : tlsDir().resolve(process + ".pem");
    }

    /** The private key of the process named {@code process}. */
    public Path tlsKeyFile(String process) {
        return tls.keyFile() != null ? Path.of(tls.keyFile().replace(TlsConfig.NAME, process))
                : tlsDir().resolve(process + ".key");
    }

    /**
     * The CA file, certificate and key of {@code process}, checked readable.
     *
     * @param link what they are for, as the error says it ("the Raft transport")
     * @throws ConfigException naming every file that cannot be read, and what to do about it
     */
    public TlsConfig.Files tlsFiles(String process, String link) {
        TlsConfig.Files files = new TlsConfig.Files(tlsCaFile(), tlsCertFile(process), tlsKeyFile(process));
        List<String> missing = files.all().stream().filter(f -> !Files.isReadable(f)).map(Path::toString).toList();
        if (!missing.isEmpty()) {
            throw new ConfigException(source, List.of("tls: " + process + " cannot read " + String.join(", ", missing)
                    + " for " + link + ". `dtm cluster start` makes every certificate for a new directory,"
                    + " `dtm certs create --dir DIR` for an existing one; or point tls.caFile, tls.certFile and"
                    + " tls.keyFile at your own (tls.enabled: false turns TLS off, not recommended)"));
        }
        return files;
    }

    /** A copy whose secrets and certificates live in {@code dir}. */
    public ClusterConfig withTlsDir(Path dir) {
        return withTls(tls.withDir(dir));
    }

    /** A copy with other transport security. */
    public ClusterConfig withTls(TlsConfig newTls) {
        return new ClusterConfig(name, dataDir, nodes, services, timeouts, log, participants, coordinator, limits,
                newTls, source);
    }

    /** A copy with other timeouts, e.g. more generous ones for a slow test machine. */
    public ClusterConfig withTimeouts(TimeoutsConfig newTimeouts) {
        return new ClusterConfig(name, dataDir, nodes, services, newTimeouts, log, participants, coordinator, limits, tls, source);
    }

    /** A copy with other log settings, e.g. to snapshot often in a test or turn group commit off. */
    public ClusterConfig withLog(LogConfig newLog) {
        return new ClusterConfig(name, dataDir, nodes, services, timeouts, newLog, participants, coordinator, limits, tls, source);
    }

    /** A copy with other coordinator nodes (e.g. a node added or replaced). */
    public ClusterConfig withNodes(List<NodeConfig> newNodes) {
        return new ClusterConfig(name, dataDir, newNodes, services, timeouts, log, participants, coordinator, limits, tls,
                source);
    }

    /** A copy whose log is split into {@code groups} Raft groups of {@code replication} nodes each (0: the default). */
    public ClusterConfig withLogGroups(int groups, int replication) {
        return withLog(log.withGroups(groups, replication));
    }

    /**
     * Nodes each log group lives on: {@code log.replication}, or when the file leaves it out three,
     * or every node of a smaller cluster.
     */
    public int replication() {
        return log.replication() == LogConfig.DEFAULT_REPLICATION ? Math.min(3, nodes.size()) : log.replication();
    }

    /**
     * The nodes log group {@code group} lives on, its preferred leader first: {@link #replication()}
     * nodes in configuration order, starting at node {@code group} (round-robin, so that groups
     * spread over every node and each node is the preferred leader of as many groups as any other).
     */
    public List<String> groupMembers(int group) {
        if (group < 0 || group >= log.groups()) {
            throw new IllegalArgumentException("no log group " + group + "; the cluster has " + log.groups());
        }
        List<String> members = new ArrayList<>();
        for (int k = 0; k < replication(); k++) {
            members.add(nodes.get((group + k) % nodes.size()).id());
        }
        return List.copyOf(members);
    }

    /** The log groups node {@code nodeId} is a member of, in ascending order. */
    public List<Integer> groupsOf(String nodeId) {
        List<Integer> groups = new ArrayList<>();
        for (int g = 0; g < log.groups(); g++) {
            if (groupMembers(g).contains(nodeId)) {
                groups.add(g);
            }
        }
        return List.copyOf(groups);
    }

    /** A copy with other participant settings. */
    public ClusterConfig withParticipants(ParticipantsConfig newParticipants) {
        return new ClusterConfig(name, dataDir, nodes, services, timeouts, log, newParticipants, coordinator, limits, tls, source);
    }

    /** A copy with other server limits, e.g. small ones for a test of a misbehaving client. */
    public ClusterConfig withLimits(LimitsConfig newLimits) {
        return new ClusterConfig(name, dataDir, nodes, services, timeouts, log, participants, coordinator, newLimits, tls, source);
    }

    /** A copy with other coordinator settings, e.g. short timeouts for a test that loses messages. */
    public ClusterConfig withCoordinator(CoordinatorConfig newCoordinator) {
        return new ClusterConfig(name, dataDir, nodes, services, timeouts, log, participants, newCoordinator, limits, tls, source);
    }

    /**
     * A copy in which every node and service port is replaced by the next value of
     * {@code freePort}: nodes in order (client, raft, admin), then services in {@link ServiceName}
     * order; hosts and faults stay. Throws {@link ConfigException} if the supplier gives a port
     * twice on one host.
     */
    public ClusterConfig withPorts(IntSupplier freePort) {
        List<NodeConfig> newNodes = new ArrayList<>();
        for (NodeConfig node : nodes) {
            newNodes.add(new NodeConfig(node.id(), node.host(),
                    freePort.getAsInt(), freePort.getAsInt(), freePort.getAsInt()));
        }
        Map<ServiceName, ServiceConfig> newServices = new EnumMap<>(ServiceName.class);
        services.forEach((service, config) ->
                newServices.put(service, new ServiceConfig(config.host(), freePort.getAsInt(), config.faults())));
        List<String> conflicts = PortUse.conflicts(PortUse.of(newNodes, newServices));
        if (!conflicts.isEmpty()) {
            throw new ConfigException(source + " (withPorts)", conflicts);
        }
        return new ClusterConfig(name, dataDir, newNodes, newServices, timeouts, log, participants, coordinator, limits, tls, source);
    }

    /** The client addresses of all nodes, e.g. {@code "127.0.0.1:7101, 127.0.0.1:7102"}, for messages. */
    public String clientAddresses() {
        return nodes.stream().map(NodeConfig::clientAddress).collect(Collectors.joining(", "));
    }

    /** This configuration as YAML in the layout of {@code conf/local.yaml}; {@link #parse} of it gives an equal one. */
    public String toYaml() {
        return ConfigWriter.toYaml(this);
    }
}
