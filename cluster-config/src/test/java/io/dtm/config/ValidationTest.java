package io.dtm.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each test breaks a valid configuration in one way and checks the problem reported for it. */
class ValidationTest {
    private static final String VALID = ValidConfig.YAML;


    @Test
    void theBaseConfigurationIsValid() {
        ClusterConfig config = ClusterConfig.parse(VALID, "test.yaml");

        assertThat(config.nodes()).hasSize(3);
        assertThat(config.service(ServiceName.SHIPPING).faults()).isEqualTo(new FaultsConfig(0, 10, 0.0, 0.5,
                CrashPoint.NEVER, List.of(new UnavailableWindow(10_000, 5_000))));
        assertThat(config.participants()).isEqualTo(new ParticipantsConfig(15_000, 1_024, true));
        assertThat(config.coordinator())
                .isEqualTo(new CoordinatorConfig(2_000, 3, 50, 2_000, 10_000, 5, 20, 10_000, 100_000));
    }

    @Test
    void messageListsTheSourceAndEveryProblem() {
        ConfigException e = ValidConfig.problemsOf(VALID.replace("clientPort: 7101", "clientPort: abc")
                .replace("maxAgeMs: 3600000", "maxAgeMs: 0"));

        assertThat(e.getMessage()).isEqualTo("""
                test.yaml: invalid configuration:
                  - nodes[0].clientPort: expected an integer, got string "abc"
                  - log.retention.maxAgeMs: must be positive, got 0""");
    }

    @Test
    void severalProblemsAreAllReported() {
        String yaml = VALID.replace("name: test", "name: bad name")
                .replace("    host: 127.0.0.1\n    clientPort: 7103", "    clientPort: 7103")
                .replace("raftPort: 7201", "raftport: 7201")
                .replace("  payment:   { host: 127.0.0.1, port: 7402 }\n", "")
                .replace("electionMaxMs: 2000", "electionMaxMs: true")
                .replace("maxRecords: 256", "maxRecords: -1");

        assertThat(ValidConfig.problemsOf(yaml).problems()).containsExactly(
                "name: must match [A-Za-z0-9_-]{1,64}, got string \"bad name\"",
                "nodes[0].raftport: unknown key (expected one of: id, host, clientPort, raftPort, adminPort)",
                "nodes[0].raftPort: missing",
                "nodes[2].host: missing",
                "services.payment: missing",
                "timeouts.electionMaxMs: expected an integer, got boolean true",
                "log.groupCommit.maxRecords: must be between 1 and 2147483647, got -1");
    }

    @Test
    void coordinatorProblemsAreReportedInKeyOrder() {
        String yaml = VALID.replace("prepareTimeoutMs: 2000", "prepareTimeoutMs: 0")
                .replace("retryBackoffMaxMs: 2000", "retryBackoffMaxMs: 2000\n  retryBackoff: 10")
                .replace("maxAttempts: 5", "maxAttempts: 21")
                .replace("resultCacheSize: 100000", "resultCacheSize: -1")
                .replace("maxInFlight: 10000", "maxInFlight: 0")
                .replace("prepareAttempts: 3", "prepareAttempts: many");

        assertThat(ValidConfig.problemsOf(yaml).problems()).containsExactly(
                "coordinator.retryBackoff: unknown key (expected one of: prepareTimeoutMs, prepareAttempts, "
                        + "retryBackoffMs, retryBackoffMaxMs, transactionTimeoutMs, maxAttempts, lockBackoffMs, "
                        + "maxInFlight, resultCacheSize)",
                "coordinator.prepareTimeoutMs: must be positive, got 0",
                "coordinator.prepareAttempts: expected an integer, got string \"many\"",
                "coordinator.maxAttempts: must be between 1 and 20, got 21",
                "coordinator.maxInFlight: must be between 1 and 1000000, got 0",
                "coordinator.resultCacheSize: must be between 0 and 10000000, got -1");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void validCoordinator(String description, String from, String to, CoordinatorConfig expected) {
        assertThat(VALID).containsOnlyOnce(from);

        ClusterConfig config = ClusterConfig.parse(VALID.replace(from, to), "test.yaml");

        assertThat(config.coordinator()).isEqualTo(expected);
    }

    static Stream<Arguments> validCoordinator() {
        return Stream.of(
                Arguments.of("lower bounds", VALID.substring(VALID.indexOf("coordinator:")), """
                        coordinator:
                          prepareTimeoutMs: 1
                          prepareAttempts: 1
                          retryBackoffMs: 1
                          retryBackoffMaxMs: 1
                          transactionTimeoutMs: 1
                          maxAttempts: 1
                          lockBackoffMs: 1
                          maxInFlight: 1
                          resultCacheSize: 0
                        """, new CoordinatorConfig(1, 1, 1, 1, 1, 1, 1, 1, 0)),
                Arguments.of("upper bounds", VALID.substring(VALID.indexOf("coordinator:")), """
                        coordinator:
                          prepareTimeoutMs: 9223372036854775807
                          prepareAttempts: 100
                          retryBackoffMs: 9223372036854775807
                          retryBackoffMaxMs: 9223372036854775807
                          transactionTimeoutMs: 600000
                          maxAttempts: 20
                          lockBackoffMs: 9223372036854775807
                          maxInFlight: 1000000
                          resultCacheSize: 10000000
                        limits:
                          maxInFlightPerConnection: 1000000
                        """, new CoordinatorConfig(Long.MAX_VALUE, 100, Long.MAX_VALUE, Long.MAX_VALUE, 600_000, 20,
                        Long.MAX_VALUE, 1_000_000, 10_000_000)),
                Arguments.of("backoff that does not grow", "retryBackoffMs: 50", "retryBackoffMs: 2000",
                        new CoordinatorConfig(2_000, 3, 2_000, 2_000, 10_000, 5, 20, 10_000, 100_000)),
                Arguments.of("section with every key commented out", VALID.substring(VALID.indexOf("coordinator:")),
                        "coordinator:\n  # maxAttempts: 5\n", CoordinatorConfig.defaults()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void yamlThatCannotBeRead(String description, String yaml, String problem) {
        assertThat(ValidConfig.problemsOf(yaml).problems()).containsExactly(problem);
    }

    static Stream<Arguments> yamlThatCannotBeRead() {
        return Stream.of(
                Arguments.of("empty file", "", "the file is empty (expected a mapping with name, nodes and services)"),
                Arguments.of("only comments", "# nothing here\n",
                        "the file is empty (expected a mapping with name, nodes and services)"),
                Arguments.of("top level is a list", "- a\n- b\n", "top level: expected a mapping, got a list"),
                Arguments.of("top level is a scalar", "hello\n", "top level: expected a mapping, got string \"hello\""),
                Arguments.of("unclosed flow sequence", "name: test\nnodes: [1, 2\nservices: {}\n",
                        "YAML error at line 3, column 9: expected ',' or ']', but got : "
                                + "(while parsing a flow sequence at line 2, column 8)"),
                Arguments.of("bad indentation", "name: test\n  nodes: 1\n",
                        "YAML error at line 2, column 8: mapping values are not allowed here"),
                Arguments.of("duplicate top-level key", VALID + "name: again\n",
                        // the line after the valid configuration's last
                        "YAML error at line " + (VALID.lines().count() + 1) + ", column 1: found duplicate key name "
                                + "(while constructing a mapping at line 1, column 1)"),
                Arguments.of("duplicate nested key", VALID.replace("raftPort: 7202", "raftPort: 7202\n    raftPort: 7209"),
                        "YAML error at line 13, column 5: found duplicate key raftPort "
                                + "(while constructing a mapping at line 9, column 5)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void validFaults(String description, String from, String to, FaultsConfig expected) {
        assertThat(VALID).containsOnlyOnce(from);

        ClusterConfig config = ClusterConfig.parse(VALID.replace(from, to), "test.yaml");

        assertThat(config.service(ServiceName.SHIPPING).faults()).isEqualTo(expected);
    }

    static Stream<Arguments> validFaults() {
        List<UnavailableWindow> window = List.of(new UnavailableWindow(10_000, 5_000));
        return Stream.of(
                Arguments.of("integer probabilities", "dropProbability: 0.0\n      forceNoProbability: 0.5",
                        "dropProbability: 1\n      forceNoProbability: 0",
                        new FaultsConfig(0, 10, 1.0, 0.0, CrashPoint.NEVER, window)),
                Arguments.of("bounds of the ranges", "latencyMinMs: 0\n      latencyMaxMs: 10\n      dropProbability: 0.0",
                        "latencyMinMs: 10\n      latencyMaxMs: 10\n      dropProbability: 1.0",
                        new FaultsConfig(10, 10, 1.0, 0.5, CrashPoint.NEVER, window)),
                Arguments.of("every crash point", "crashAt: NEVER", "crashAt: AFTER_COMMIT_PERSISTED",
                        new FaultsConfig(0, 10, 0.0, 0.5, CrashPoint.AFTER_COMMIT_PERSISTED, window)),
                Arguments.of("windows in block form", "    - { afterMs: 10000, forMs: 5000 }\n",
                        "    - afterMs: 0\n          forMs: 1\n        - afterMs: 0\n          forMs: 1\n",
                        new FaultsConfig(0, 10, 0.0, 0.5, CrashPoint.NEVER,
                                List.of(new UnavailableWindow(0, 1), new UnavailableWindow(0, 1)))),
                Arguments.of("no windows", "\n        - { afterMs: 10000, forMs: 5000 }", " []",
                        new FaultsConfig(0, 10, 0.0, 0.5, CrashPoint.NEVER, List.of())));
    }

    @Test
    void faultsOfAServiceWithABadAddressAreStillChecked() {
        String yaml = VALID.replace("    port: 7404\n", "    port: x\n").replace("forMs: 5000", "forMs: 0");

        assertThat(ValidConfig.problemsOf(yaml).problems()).containsExactly(
                "services.shipping.port: expected an integer, got string \"x\"",
                "services.shipping.faults.unavailable[0].forMs: must be positive, got 0");
    }

    @Test
    void samePortOnDifferentHostsIsFine() {
        String yaml = VALID.replace("    host: 127.0.0.1\n    clientPort: 7102", "    host: 127.0.0.2\n    clientPort: 7101");

        assertThat(ClusterConfig.parse(yaml, "test.yaml").nodes().get(1).clientAddress()).isEqualTo("127.0.0.2:7101");
    }

    @Test
    void portsAreNotComparedAcrossInvalidHosts() {
        // A node without a valid host has no port to clash with; only the host is reported.
        String yaml = VALID.replace("    host: 127.0.0.1\n    clientPort: 7102", "    host: 5\n    clientPort: 7101");

        assertThat(ValidConfig.problemsOf(yaml).problems()).containsExactly("nodes[1].host: expected a string, got integer 5");
    }
}
