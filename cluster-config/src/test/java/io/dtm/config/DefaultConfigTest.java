package io.dtm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultConfigTest {

    private static final String MINIMAL = """
            name: tiny
            nodes:
              - { id: a, host: 10.0.0.1, clientPort: 1, raftPort: 2, adminPort: 3 }
            services:
              inventory: { host: 10.0.0.2, port: 1 }
              payment: { host: 10.0.0.2, port: 2 }
              order: { host: 10.0.0.2, port: 3 }
              shipping: { host: 10.0.0.2, port: 4 }
            """;

    @Test
    void bundledDefaultHasThreeLocalNodesFourServicesAndTheDefaults() {
        ClusterConfig config = ClusterConfig.loadDefault();

        assertThat(config.name()).isEqualTo("local");
        assertThat(config.source()).isEqualTo("classpath:local.yaml");
        assertThat(config.dataDir()).isEqualTo(Path.of("run/local/data"));
        assertThat(config.nodes()).containsExactly(
                new NodeConfig("n1", "127.0.0.1", 7101, 7201, 7301),
                new NodeConfig("n2", "127.0.0.1", 7102, 7202, 7302),
                new NodeConfig("n3", "127.0.0.1", 7103, 7203, 7303));
        assertThat(config.services()).containsExactly(
                entry(ServiceName.INVENTORY, 7401), entry(ServiceName.PAYMENT, 7402),
                entry(ServiceName.ORDER, 7403), entry(ServiceName.SHIPPING, 7404));
        assertThat(config.timeouts()).isEqualTo(new TimeoutsConfig(600, 1200, 5000, 60000));
        assertThat(config.log()).isEqualTo(new LogConfig(10000, 8388608,
                new RetentionConfig(250000, 3600000, 1000000), new GroupCommitConfig(256, 32, 0), 3, 0));
        assertThat(config.participants()).isEqualTo(new ParticipantsConfig(15000, 1024, false));
        assertThat(config.coordinator())
                .isEqualTo(new CoordinatorConfig(2000, 3, 50, 2000, 10000, 5, 20, 10000, 100000));
        // The file spells out every default, so it documents them truthfully.
        assertThat(config.timeouts()).isEqualTo(TimeoutsConfig.defaults());
        assertThat(config.log()).isEqualTo(LogConfig.defaults());
        assertThat(config.participants()).isEqualTo(ParticipantsConfig.defaults());
        assertThat(config.coordinator()).isEqualTo(CoordinatorConfig.defaults());
        // Its fault example is commented out: the default cluster injects none.
        assertThat(config.services().values()).allMatch(service -> service.faults().isNone());
    }

    @Test
    void confFileIsTheBundledDefault() {
        ClusterConfig fromFile = ClusterConfig.load(Path.of("conf/local.yaml"));

        assertThat(fromFile.source()).isEqualTo(Path.of("conf/local.yaml").toString());
        assertThat(fromFile).usingRecursiveComparison().ignoringFields("source")
                .isEqualTo(ClusterConfig.loadDefault());
    }

    @Test
    void optionalSectionsTakeTheirDefaults() {
        ClusterConfig config = ClusterConfig.parse(MINIMAL, "minimal");

        assertThat(config.dataDir()).isEqualTo(ClusterConfig.DEFAULT_DATA_DIR);
        assertThat(config.timeouts()).isEqualTo(TimeoutsConfig.defaults());
        assertThat(config.log()).isEqualTo(LogConfig.defaults());
        assertThat(config.participants()).isEqualTo(ParticipantsConfig.defaults());
        assertThat(config.coordinator()).isEqualTo(CoordinatorConfig.defaults());
        assertThat(config.limits()).isEqualTo(LimitsConfig.defaults());
        assertThat(config.services().values()).extracting(ServiceConfig::faults).containsOnly(FaultsConfig.none());
    }

    @Test
    void aRetiredKeyOfAnEarlierBuildIsAcceptedAndIgnored() {
        String groupCommit = """
                log:
                  groupCommit:
                    maxRecords: 64
                """;
        ClusterConfig without = ClusterConfig.parse(MINIMAL + groupCommit, "now");
        ClusterConfig with = ClusterConfig.parse(MINIMAL + groupCommit + "    maxDelayMicros: 5000\n", "before");

        assertThat(with.log()).isEqualTo(without.log());
        assertThat(with.log().groupCommit().maxRecords()).isEqualTo(64);
        assertThat(with.toYaml()).doesNotContain("maxDelayMicros");
        assertThatThrownBy(() -> ClusterConfig.parse(MINIMAL + groupCommit + "    maxDelayMicros: [oops\n", "broken"))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void missingKeysTakeTheirDefaultsAndEmptySectionsCountAsAbsent() {
        String yaml = MINIMAL + """
                timeouts:
                  rpcTimeoutMs: 750
                log:
                  retention:
                    maxAgeMs: 60000
                  groupCommit:
                """;
        ClusterConfig config = ClusterConfig.parse(yaml, "partial");

        assertThat(config.timeouts()).isEqualTo(new TimeoutsConfig(600, 1200, 750, 60000));
        assertThat(config.log().retention()).isEqualTo(new RetentionConfig(250000, 60000));
        assertThat(config.log().groupCommit()).isEqualTo(GroupCommitConfig.defaults());
        assertThat(config.log().snapshotEveryEntries()).isEqualTo(LogConfig.defaults().snapshotEveryEntries());
    }

    @Test
    void missingParticipantKeysTakeTheirDefaults() {
        assertThat(ClusterConfig.parse(MINIMAL + "participants:\n  maxBatch: 1\n", "partial").participants())
                .isEqualTo(new ParticipantsConfig(15000, 1, false));
        assertThat(ClusterConfig.parse(MINIMAL + "participants:\n  inDoubtTimeoutMs: 500\n", "partial").participants())
                .isEqualTo(new ParticipantsConfig(500, 1024, false));
        assertThat(ClusterConfig.parse(MINIMAL + "participants:\n", "empty").participants())
                .isEqualTo(ParticipantsConfig.defaults());
    }

    @Test
    void missingCoordinatorKeysTakeTheirDefaults() {
        String yaml = MINIMAL + """
                coordinator:
                  prepareAttempts: 1
                  retryBackoffMaxMs: 500
                  resultCacheSize: 0
                """;

        assertThat(ClusterConfig.parse(yaml, "partial").coordinator())
                .isEqualTo(new CoordinatorConfig(2000, 1, 50, 500, 10000, 5, 20, 10000, 0));
        assertThat(ClusterConfig.parse(MINIMAL + "coordinator:\n  maxInFlight: 7\n", "partial").coordinator())
                .isEqualTo(new CoordinatorConfig(2000, 3, 50, 2000, 10000, 5, 20, 7, 100000));
        assertThat(ClusterConfig.parse(MINIMAL + "coordinator:\n", "empty").coordinator())
                .isEqualTo(CoordinatorConfig.defaults());
    }

    @Test
    void missingFaultKeysInjectNothing() {
        String yaml = MINIMAL
                .replace("payment: { host: 10.0.0.2, port: 2 }", "payment: { host: 10.0.0.2, port: 2, faults: }")
                .replace("order: { host: 10.0.0.2, port: 3 }",
                        "order: { host: 10.0.0.2, port: 3, faults: { dropProbability: 1, unavailable: } }")
                .replace("shipping: { host: 10.0.0.2, port: 4 }",
                        "shipping: { host: 10.0.0.2, port: 4, faults: { latencyMaxMs: 7, crashAt: BEFORE_PREPARE } }")
                + "participants: { faultInjection: true }\n";
        ClusterConfig config = ClusterConfig.parse(yaml, "faults");

        assertThat(config.service(ServiceName.INVENTORY).faults()).isEqualTo(FaultsConfig.none());
        assertThat(config.service(ServiceName.PAYMENT).faults()).isEqualTo(FaultsConfig.none());
        assertThat(config.service(ServiceName.ORDER).faults())
                .isEqualTo(new FaultsConfig(0, 0, 1.0, 0.0, CrashPoint.NEVER, List.of()));
        assertThat(config.service(ServiceName.SHIPPING).faults())
                .isEqualTo(new FaultsConfig(0, 7, 0.0, 0.0, CrashPoint.BEFORE_PREPARE, List.of()));
    }

    @Test
    void noneIsTheOnlyFaultsConfigThatInjectsNothing() {
        FaultsConfig none = FaultsConfig.none();

        assertThat(none).isEqualTo(new FaultsConfig(0, 0, 0.0, 0.0, CrashPoint.NEVER, List.of()));
        assertThat(none.isNone()).isTrue();
        assertThat(new ServiceConfig("h", 1).faults()).isEqualTo(none);
        assertThat(List.of(
                new FaultsConfig(1, 1, 0.0, 0.0, CrashPoint.NEVER, List.of()),
                new FaultsConfig(0, 1, 0.0, 0.0, CrashPoint.NEVER, List.of()),
                new FaultsConfig(0, 0, 0.5, 0.0, CrashPoint.NEVER, List.of()),
                new FaultsConfig(0, 0, 0.0, 0.5, CrashPoint.NEVER, List.of()),
                new FaultsConfig(0, 0, 0.0, 0.0, CrashPoint.AFTER_VOTE_PERSISTED, List.of()),
                new FaultsConfig(0, 0, 0.0, 0.0, CrashPoint.NEVER, List.of(new UnavailableWindow(0, 1)))))
                .noneMatch(FaultsConfig::isNone);
    }

    @Test
    void crashPointsHaveTheirDocumentedNames() {
        assertThat(CrashPoint.values()).extracting(CrashPoint::name).containsExactly(
                "NEVER", "AFTER_VOTE_PERSISTED", "AFTER_COMMIT_PERSISTED", "BEFORE_PREPARE");
    }

    @Test
    void loadOrDefaultFallsBackOnlyWithoutAFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("tiny.yaml"), MINIMAL);

        assertThat(ClusterConfig.loadOrDefault(null).name()).isEqualTo("local");
        assertThat(ClusterConfig.loadOrDefault(file).name()).isEqualTo("tiny");
        assertThat(ClusterConfig.loadOrDefault(file).source()).isEqualTo(file.toString());
    }

    @Test
    void missingFileIsAConfigException(@TempDir Path dir) {
        Path file = dir.resolve("absent.yaml");

        assertThatThrownBy(() -> ClusterConfig.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": invalid configuration:\n  - cannot read the file: it does not exist");
    }

    @Test
    void helpersDeriveAddressesAndDirectories() {
        ClusterConfig config = ClusterConfig.loadDefault();

        assertThat(config.node("n2").clientAddress()).isEqualTo("127.0.0.1:7102");
        assertThat(config.node("n2").raftAddress()).isEqualTo("127.0.0.1:7202");
        assertThat(config.services().get(ServiceName.PAYMENT).address()).isEqualTo("127.0.0.1:7402");
        assertThat(config.clientAddresses()).isEqualTo("127.0.0.1:7101, 127.0.0.1:7102, 127.0.0.1:7103");
        assertThat(config.nodeDataDir("n1")).isEqualTo(Path.of("run/local/data/n1"));
        assertThat(config.serviceDataDir(ServiceName.SHIPPING)).isEqualTo(Path.of("run/local/data/shipping"));
    }

    @Test
    void withDataDirChangesOnlyTheDataDir(@TempDir Path dir) {
        ClusterConfig config = ClusterConfig.loadDefault();
        ClusterConfig moved = config.withDataDir(dir);

        assertThat(moved.nodeDataDir("n3")).isEqualTo(dir.resolve("n3"));
        assertThat(moved.withDataDir(config.dataDir())).isEqualTo(config);
    }

    @Test
    void withChangesOnlyTheNamedComponent() {
        ClusterConfig config = ClusterConfig.loadDefault();
        TimeoutsConfig timeouts = new TimeoutsConfig(1, 2, 3, 4);
        LogConfig log = new LogConfig(1, 2, new RetentionConfig(3, 4), new GroupCommitConfig(5, 7, 8), 2, 1);
        ParticipantsConfig participants = new ParticipantsConfig(1, 2, true);
        CoordinatorConfig coordinator = new CoordinatorConfig(1, 2, 3, 4, 5, 6, 7, 8, 9);

        assertThat(config.withTimeouts(timeouts)).isEqualTo(new ClusterConfig(config.name(), config.dataDir(),
                config.nodes(), config.services(), timeouts, config.log(), config.participants(), config.coordinator(),
                config.source()));
        assertThat(config.withLog(log)).isEqualTo(new ClusterConfig(config.name(), config.dataDir(),
                config.nodes(), config.services(), config.timeouts(), log, config.participants(), config.coordinator(),
                config.source()));
        assertThat(config.withParticipants(participants)).isEqualTo(new ClusterConfig(config.name(), config.dataDir(),
                config.nodes(), config.services(), config.timeouts(), config.log(), participants, config.coordinator(),
                config.source()));
        assertThat(config.withCoordinator(coordinator)).isEqualTo(new ClusterConfig(config.name(), config.dataDir(),
                config.nodes(), config.services(), config.timeouts(), config.log(), config.participants(), coordinator,
                config.source()));
        assertThat(config.withTlsDir(Path.of("/elsewhere/tls")).tls()).isEqualTo(TlsConfig.defaults().withDir(Path.of("/elsewhere/tls")));
        assertThat(config.withTlsDir(Path.of("/elsewhere/tls")).withTlsDir(null)).isEqualTo(config);
    }

    @Test
    void theSecretsLiveBesideTheDataUnlessTheFileSaysWhere() {
        ClusterConfig config = ClusterConfig.loadDefault();

        assertThat(config.tls()).isEqualTo(TlsConfig.defaults());
        assertThat(config.tlsDir()).isEqualTo(Path.of("run/local/tls").toAbsolutePath());
        assertThat(config.withDataDir(Path.of("/c/data")).tlsDir()).isEqualTo(Path.of("/c/tls"));
        assertThat(config.withTlsDir(Path.of("/pki")).withDataDir(Path.of("/c/data")).tlsDir()).isEqualTo(Path.of("/pki"));
    }

    @Test
    void eachProcessFindsItsCertificateByItsNameInTheDirectoryOrWhereTheFileSays() {
        ClusterConfig config = ClusterConfig.loadDefault().withDataDir(Path.of("/c/data"));

        assertThat(config.tlsCaFile()).isEqualTo(Path.of("/c/tls/ca.pem"));
        assertThat(config.tlsCertFile("n1")).isEqualTo(Path.of("/c/tls/n1.pem"));
        assertThat(config.tlsKeyFile("admin")).isEqualTo(Path.of("/c/tls/admin.key"));

        ClusterConfig own = config.withTls(new TlsConfig(true, null, Path.of("/etc/pki/ca.pem"),
                "/etc/pki/{name}/chain.pem", "/etc/pki/private/{name}.key"));
        assertThat(own.tlsCaFile()).isEqualTo(Path.of("/etc/pki/ca.pem"));
        assertThat(own.tlsCertFile("payment")).isEqualTo(Path.of("/etc/pki/payment/chain.pem"));
        assertThat(own.tlsKeyFile("payment")).isEqualTo(Path.of("/etc/pki/private/payment.key"));
        assertThat(own.tlsDir()).as("digest.key stays beside the data").isEqualTo(Path.of("/c/tls"));
    }

    @Test
    void unknownNodeIdNamesItAndTheKnownIds() {
        assertThatThrownBy(() -> ClusterConfig.loadDefault().node("n9"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("no node with id \"n9\" (known ids: n1, n2, n3)");
    }

    @Test
    void serviceNamesHaveLowerCaseIds() {
        assertThat(ServiceName.INVENTORY.id()).isEqualTo("inventory");
        assertThat(ServiceName.fromId("shipping")).contains(ServiceName.SHIPPING);
        assertThat(ServiceName.fromId("SHIPPING")).isEmpty();
        assertThat(ServiceName.fromId("billing")).isEmpty();
        assertThat(ServiceName.knownIds()).isEqualTo("inventory, payment, order, shipping");
    }

    private static Map.Entry<ServiceName, ServiceConfig> entry(ServiceName name, int port) {
        return Map.entry(name, new ServiceConfig("127.0.0.1", port));
    }
}
