package io.dtm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
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
        assertThat(config.timeouts()).isEqualTo(new TimeoutsConfig(1000, 2000, 5000, 60000));
        assertThat(config.log()).isEqualTo(new LogConfig(10000, 8388608,
                new RetentionConfig(250000, 3600000), new GroupCommitConfig(256, 1000, 32)));
        // The file spells out every default, so it documents them truthfully.
        assertThat(config.timeouts()).isEqualTo(TimeoutsConfig.defaults());
        assertThat(config.log()).isEqualTo(LogConfig.defaults());
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

        assertThat(config.timeouts()).isEqualTo(new TimeoutsConfig(1000, 2000, 750, 60000));
        assertThat(config.log().retention()).isEqualTo(new RetentionConfig(250000, 60000));
        assertThat(config.log().groupCommit()).isEqualTo(GroupCommitConfig.defaults());
        assertThat(config.log().snapshotEveryEntries()).isEqualTo(LogConfig.defaults().snapshotEveryEntries());
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
