package io.dtm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

class YamlRoundTripTest {

    @Test
    void defaultSurvivesARoundTrip() {
        ClusterConfig config = ClusterConfig.loadDefault();

        assertThat(ClusterConfig.parse(config.toYaml(), config.source())).isEqualTo(config);
    }

    @Test
    void writtenFileLoadsBackWithOtherValues(@TempDir Path dir) throws Exception {
        ClusterConfig config = new ClusterConfig("other_cluster-2", dir.resolve("data dir"),
                List.of(new NodeConfig("x", "node-a.example", 9001, 9002, 9003),
                        new NodeConfig("y", "node-b.example", 9001, 9002, 9003)),
                Map.of(ServiceName.SHIPPING, new ServiceConfig("::1", 9504,
                                new FaultsConfig(0, 0, 1.0E-4, 1.0, CrashPoint.AFTER_COMMIT_PERSISTED, List.of())),
                        ServiceName.ORDER, new ServiceConfig("h", 9503),
                        ServiceName.PAYMENT, new ServiceConfig("h", 9502,
                                new FaultsConfig(5, 50, 0.1, 1.0 / 3, CrashPoint.BEFORE_PREPARE,
                                        List.of(new UnavailableWindow(0, 1), new UnavailableWindow(10_000, 5_000)))),
                        ServiceName.INVENTORY, new ServiceConfig("h", 9501)),
                new TimeoutsConfig(150, 300, 1000, 5000),
                new LogConfig(5, 1024, new RetentionConfig(10, 20, 30), new GroupCommitConfig(1, 3, 4), 5, 2),
                new ParticipantsConfig(250, 1, true),
                new CoordinatorConfig(100, 1, 7, 7, 600_000, 20, 1, 1, 0),
                new LimitsConfig(3, 5, 0, 256),
                new TlsConfig(true, dir.resolve("secrets dir"), dir.resolve("pki/ca bundle.pem"), "/pki/{name}/cert.pem",
                        "/pki/{name}.key"),
                "ignored");
        Path file = Files.writeString(dir.resolve("other.yaml"), config.toYaml());

        ClusterConfig loaded = ClusterConfig.load(file);

        assertThat(loaded).usingRecursiveComparison().ignoringFields("source").isEqualTo(config);
        assertThat(loaded.toYaml()).isEqualTo(config.toYaml());
    }

    @Test
    void toYamlUsesTheLayoutOfTheBundledFile() {
        String yaml = ClusterConfig.loadDefault().toYaml();

        assertThat(yaml).contains("""
                nodes:
                  - id: n1
                    host: 127.0.0.1
                    clientPort: 7101
                    raftPort: 7201
                    adminPort: 7301
                """);
        assertThat(yaml).contains("  inventory: { host: 127.0.0.1, port: 7401 }\n");
        assertThat(yaml).contains("  groupCommit:\n    maxRecords: 256\n");
        assertThat(yaml).contains("participants:\n  inDoubtTimeoutMs: 15000\n  maxBatch: 1024\n");
        assertThat(yaml).endsWith("""
                coordinator:
                  prepareTimeoutMs: 2000
                  prepareAttempts: 3
                  retryBackoffMs: 50
                  retryBackoffMaxMs: 2000
                  transactionTimeoutMs: 10000
                  maxAttempts: 5
                  lockBackoffMs: 20
                  maxInFlight: 10000
                  resultCacheSize: 100000
                limits:
                  maxConnections: 1024
                  maxInFlightPerConnection: 16384
                  idleTimeoutMs: 600000
                  maxReasonChars: 1024
                tls:
                  enabled: true
                """);
        assertThat(yaml).doesNotContain("faults");
    }

    @Test
    void aServiceWithFaultsIsWrittenInBlockForm() {
        ClusterConfig config = withFaults(ClusterConfig.loadDefault(), ServiceName.PAYMENT,
                new FaultsConfig(0, 10, 0.0, 0.25, CrashPoint.AFTER_VOTE_PERSISTED,
                        List.of(new UnavailableWindow(10_000, 5_000))));

        String yaml = config.toYaml();

        assertThat(yaml).contains("""
                  inventory: { host: 127.0.0.1, port: 7401 }
                  payment:
                    host: 127.0.0.1
                    port: 7402
                    faults:
                      latencyMinMs: 0
                      latencyMaxMs: 10
                      dropProbability: 0.0
                      forceNoProbability: 0.25
                      crashAt: AFTER_VOTE_PERSISTED
                      unavailable:
                        - { afterMs: 10000, forMs: 5000 }
                  order: { host: 127.0.0.1, port: 7403 }
                """);
        assertThat(ClusterConfig.parse(yaml, config.source())).isEqualTo(config);
    }

    @Test
    void faultsWithoutWindowsWriteAnEmptyList() {
        ClusterConfig config = withFaults(ClusterConfig.loadDefault(), ServiceName.ORDER,
                new FaultsConfig(0, 0, 0.5, 0.0, CrashPoint.NEVER, List.of()));

        assertThat(config.toYaml()).contains("      crashAt: NEVER\n      unavailable: []\n");
        assertThat(ClusterConfig.parse(config.toYaml(), config.source())).isEqualTo(config);
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, -0.0, 1.0, 0.1, 1.0E-4, 4.9E-324, 0.30000000000000004, 0.9999999999999999})
    void probabilitiesSurviveARoundTripExactly(double probability) {
        ClusterConfig config = withFaults(ClusterConfig.loadDefault(), ServiceName.SHIPPING,
                new FaultsConfig(0, 0, probability, probability, CrashPoint.NEVER, List.of()));

        assertThat(ClusterConfig.parse(config.toYaml(), config.source())).isEqualTo(config);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "123", "true", "null", "1.5", "a b", "a,b", "x: y", "#hash", "{}", "-",
            "back\\slash", "quote\"d", "new\nline", "tab\tbed", "bell\u0007", "caf\u00e9", "~", "C:\\data"})
    void stringsThatLookLikeSomethingElseAreQuoted(String text) {
        String scalar = ConfigWriter.scalar(text);

        assertThat(ConfigParser.loadYaml("key: " + scalar + "\n", "test")).isEqualTo(Map.of("key", text));
        assertThat(ConfigParser.loadYaml("{ key: " + scalar + " }", "test")).isEqualTo(Map.of("key", text));
    }

    @Test
    void plainStringsStayPlain() {
        assertThat(ConfigWriter.scalar("127.0.0.1")).isEqualTo("127.0.0.1");
        assertThat(ConfigWriter.scalar("run/local/data")).isEqualTo("run/local/data");
        assertThat(ConfigWriter.scalar("123")).isEqualTo("\"123\"");
    }

    @Test
    void withPortsReplacesEveryPortAndKeepsTheRest() {
        ClusterConfig config = ClusterConfig.loadDefault();
        AtomicInteger next = new AtomicInteger(40000);

        ClusterConfig moved = config.withPorts(next::getAndIncrement);

        List<Integer> ports = new ArrayList<>();
        moved.nodes().forEach(node -> ports.addAll(List.of(node.clientPort(), node.raftPort(), node.adminPort())));
        moved.services().values().forEach(service -> ports.add(service.port()));
        assertThat(ports).hasSize(13).doesNotHaveDuplicates().allMatch(port -> port >= 40000 && port < 40013);
        Set<Integer> oldPorts = new HashSet<>();
        config.nodes().forEach(node -> oldPorts.addAll(List.of(node.clientPort(), node.raftPort(), node.adminPort())));
        assertThat(ports).doesNotContainAnyElementsOf(oldPorts);

        assertThat(moved.nodes()).extracting(NodeConfig::id, NodeConfig::host)
                .containsExactlyElementsOf(config.nodes().stream()
                        .map(node -> tuple(node.id(), node.host())).toList());
        assertThat(moved.services().keySet()).containsExactlyElementsOf(config.services().keySet());
        assertThat(moved).usingRecursiveComparison().ignoringFields("nodes", "services").isEqualTo(config);
        assertThat(ClusterConfig.parse(moved.toYaml(), moved.source())).isEqualTo(moved);
    }

    @Test
    void withPortsKeepsFaults() {
        FaultsConfig faults = new FaultsConfig(1, 2, 0.5, 0.5, CrashPoint.BEFORE_PREPARE,
                List.of(new UnavailableWindow(3, 4)));
        ClusterConfig config = withFaults(ClusterConfig.loadDefault(), ServiceName.INVENTORY, faults);
        AtomicInteger next = new AtomicInteger(40000);

        ClusterConfig moved = config.withPorts(next::getAndIncrement);

        assertThat(moved.service(ServiceName.INVENTORY).faults()).isEqualTo(faults);
        assertThat(moved.service(ServiceName.PAYMENT).faults()).isEqualTo(FaultsConfig.none());
        assertThat(ClusterConfig.parse(moved.toYaml(), moved.source())).isEqualTo(moved);
    }

    @Test
    void withPortsRefusesASupplierThatRepeatsAPort() {
        assertThatThrownBy(() -> ClusterConfig.loadDefault().withPorts(() -> 5000))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nodes[0].raftPort: port 5000 on 127.0.0.1 already used by nodes[0].clientPort");
    }

    /** {@code config} with {@code faults} injected by one service. */
    /** The configuration with these faults for {@code service}, and so with fault injection on. */
    private static ClusterConfig withFaults(ClusterConfig config, ServiceName service, FaultsConfig faults) {
        Map<ServiceName, ServiceConfig> services = new EnumMap<>(config.services());
        ServiceConfig old = services.get(service);
        services.put(service, new ServiceConfig(old.host(), old.port(), faults));
        return new ClusterConfig(config.name(), config.dataDir(), config.nodes(), services, config.timeouts(),
                config.log(), config.participants().withFaultInjection(true), config.coordinator(), config.source());
    }
}
