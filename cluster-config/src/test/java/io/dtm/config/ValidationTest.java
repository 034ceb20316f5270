package io.dtm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each test breaks a valid configuration in one way and checks the problem reported for it. */
class ValidationTest {

    private static final String VALID = """
            name: test
            dataDir: build/data
            nodes:
              - id: n1
                host: 127.0.0.1
                clientPort: 7101
                raftPort: 7201
                adminPort: 7301
              - id: n2
                host: 127.0.0.1
                clientPort: 7102
                raftPort: 7202
                adminPort: 7302
              - id: n3
                host: 127.0.0.1
                clientPort: 7103
                raftPort: 7203
                adminPort: 7303
            services:
              inventory: { host: 127.0.0.1, port: 7401 }
              payment:   { host: 127.0.0.1, port: 7402 }
              order:     { host: 127.0.0.1, port: 7403 }
              shipping:
                host: 127.0.0.1
                port: 7404
                faults:
                  latencyMinMs: 0
                  latencyMaxMs: 10
                  dropProbability: 0.0
                  forceNoProbability: 0.5
                  crashAt: NEVER
                  unavailable:
                    - { afterMs: 10000, forMs: 5000 }
            timeouts:
              electionMinMs: 1000
              electionMaxMs: 2000
              rpcTimeoutMs: 5000
              startupTimeoutMs: 60000
            log:
              snapshotEveryEntries: 10000
              segmentSizeBytes: 8388608
              retention:
                maxOutcomes: 250000
                maxAgeMs: 3600000
              groupCommit:
                maxRecords: 256
                maxDelayMicros: 1000
                maxOutstandingBatches: 32
            participants:
              inDoubtTimeoutMs: 15000
              maxBatch: 1024
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
            """;

    @Test
    void theBaseConfigurationIsValid() {
        ClusterConfig config = ClusterConfig.parse(VALID, "test.yaml");

        assertThat(config.nodes()).hasSize(3);
        assertThat(config.service(ServiceName.SHIPPING).faults()).isEqualTo(new FaultsConfig(0, 10, 0.0, 0.5,
                CrashPoint.NEVER, List.of(new UnavailableWindow(10_000, 5_000))));
        assertThat(config.participants()).isEqualTo(new ParticipantsConfig(15_000, 1_024));
        assertThat(config.coordinator())
                .isEqualTo(new CoordinatorConfig(2_000, 3, 50, 2_000, 10_000, 5, 20, 10_000, 100_000));
    }

    @Test
    void messageListsTheSourceAndEveryProblem() {
        ConfigException e = problemsOf(VALID.replace("clientPort: 7101", "clientPort: abc")
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

        assertThat(problemsOf(yaml).problems()).containsExactly(
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

        assertThat(problemsOf(yaml).problems()).containsExactly(
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
        assertThat(problemsOf(yaml).problems()).containsExactly(problem);
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
                        "YAML error at line 62, column 1: found duplicate key name "
                                + "(while constructing a mapping at line 1, column 1)"),
                Arguments.of("duplicate nested key", VALID.replace("raftPort: 7202", "raftPort: 7202\n    raftPort: 7209"),
                        "YAML error at line 13, column 5: found duplicate key raftPort "
                                + "(while constructing a mapping at line 9, column 5)"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource
    void invalidValue(String description, String yaml, String[] problems) {
        assertThat(problemsOf(yaml).problems()).containsExactly(problems);
    }

    static Stream<Arguments> invalidValue() {
        return Stream.of(
                // unknown keys, at every level
                broken("unknown top-level key", "dataDir:", "datadir:",
                        "datadir: unknown key (expected one of: "
                                + "name, dataDir, nodes, services, timeouts, log, participants, coordinator)"),
                broken("unknown node key", "raftPort: 7201", "raftport: 7201",
                        "nodes[0].raftport: unknown key (expected one of: id, host, clientPort, raftPort, adminPort)",
                        "nodes[0].raftPort: missing"),
                broken("unknown service key", "port: 7403 }", "port: 7403, weight: 2 }",
                        "services.order.weight: unknown key (expected one of: host, port, faults)"),
                broken("unknown timeouts key", "rpcTimeoutMs:", "rpcTimeout:",
                        "timeouts.rpcTimeout: unknown key (expected one of: "
                                + "electionMinMs, electionMaxMs, rpcTimeoutMs, startupTimeoutMs)"),
                broken("unknown log key", "segmentSizeBytes:", "segmentSize:",
                        "log.segmentSize: unknown key (expected one of: "
                                + "snapshotEveryEntries, segmentSizeBytes, retention, groupCommit)"),
                broken("unknown retention key", "maxOutcomes:", "maxOutcome:",
                        "log.retention.maxOutcome: unknown key (expected one of: maxOutcomes, maxAgeMs, maxForgotten)"),
                broken("unknown group commit key", "maxDelayMicros:", "maxDelayMs:",
                        "log.groupCommit.maxDelayMs: unknown key (expected one of: "
                                + "maxRecords, maxDelayMicros, maxOutstandingBatches, replicationIntervalMs)"),
                broken("unknown participants key", "maxBatch:", "maxBatchSize:",
                        "participants.maxBatchSize: unknown key (expected one of: inDoubtTimeoutMs, maxBatch)"),
                broken("unknown coordinator key", "lockBackoffMs:", "lockBackoff:",
                        "coordinator.lockBackoff: unknown key (expected one of: prepareTimeoutMs, prepareAttempts, "
                                + "retryBackoffMs, retryBackoffMaxMs, transactionTimeoutMs, maxAttempts, lockBackoffMs, "
                                + "maxInFlight, resultCacheSize)"),
                broken("unknown faults key", "dropProbability:", "dropProb:",
                        "services.shipping.faults.dropProb: unknown key (expected one of: latencyMinMs, latencyMaxMs, "
                                + "dropProbability, forceNoProbability, crashAt, unavailable)"),
                broken("unknown window key", "forMs: 5000 }", "forMs: 5000, every: 3 }",
                        "services.shipping.faults.unavailable[0].every: unknown key (expected one of: afterMs, forMs)"),
                // missing required fields
                broken("missing name", "name: test\n", "", "name: missing"),
                broken("missing nodes", VALID.substring(VALID.indexOf("nodes:"), VALID.indexOf("services:")), "",
                        "nodes: missing"),
                broken("missing host", "    host: 127.0.0.1\n    clientPort: 7103", "    clientPort: 7103",
                        "nodes[2].host: missing"),
                broken("missing port", "    port: 7404\n", "",
                        "services.shipping.port: missing"),
                broken("missing window start", "{ afterMs: 10000, forMs: 5000 }", "{ forMs: 5000 }",
                        "services.shipping.faults.unavailable[0].afterMs: missing"),
                broken("missing window length", "{ afterMs: 10000, forMs: 5000 }", "{ afterMs: 10000 }",
                        "services.shipping.faults.unavailable[0].forMs: missing"),
                broken("missing services", VALID.substring(VALID.indexOf("services:"), VALID.indexOf("timeouts:")), "",
                        "services: missing"),
                // wrong types
                broken("string for a port", "clientPort: 7101", "clientPort: abc",
                        "nodes[0].clientPort: expected an integer, got string \"abc\""),
                broken("quoted number for a port", "clientPort: 7101", "clientPort: \"7101\"",
                        "nodes[0].clientPort: expected an integer, got string \"7101\""),
                broken("float for a count", "snapshotEveryEntries: 10000", "snapshotEveryEntries: 1.5",
                        "log.snapshotEveryEntries: expected an integer, got float 1.5"),
                broken("boolean for a duration", "rpcTimeoutMs: 5000", "rpcTimeoutMs: false",
                        "timeouts.rpcTimeoutMs: expected an integer, got boolean false"),
                broken("null for a port", "adminPort: 7302", "adminPort:",
                        "nodes[1].adminPort: expected an integer, got null"),
                broken("number for a host", "{ host: 127.0.0.1, port: 7401 }", "{ host: 17, port: 7401 }",
                        "services.inventory.host: expected a string, got integer 17"),
                broken("mapping for nodes", VALID.substring(VALID.indexOf("nodes:"), VALID.indexOf("services:")),
                        "nodes: { n1: 1 }\n", "nodes: expected a list, got a mapping"),
                broken("list for services", VALID.substring(VALID.indexOf("services:"), VALID.indexOf("timeouts:")),
                        "services: [inventory]\n", "services: expected a mapping, got a list"),
                broken("scalar for a node", "  - id: n3\n", "  - n4\n  - id: n3\n",
                        "nodes[2]: expected a mapping, got string \"n4\""),
                broken("list for a section", VALID.substring(VALID.indexOf("timeouts:"), VALID.indexOf("log:")),
                        "timeouts: []\n", "timeouts: expected a mapping, got a list"),
                broken("list for a service", "{ host: 127.0.0.1, port: 7402 }", "[127.0.0.1, 7402]",
                        "services.payment: expected a mapping, got a list"),
                broken("number for dataDir", "dataDir: build/data", "dataDir: 5",
                        "dataDir: expected a string, got integer 5"),
                broken("list for participants",
                        VALID.substring(VALID.indexOf("participants:"), VALID.indexOf("coordinator:")),
                        "participants: []\n", "participants: expected a mapping, got a list"),
                broken("list for coordinator", VALID.substring(VALID.indexOf("coordinator:")), "coordinator: []\n",
                        "coordinator: expected a mapping, got a list"),
                broken("scalar for coordinator", VALID.substring(VALID.indexOf("coordinator:")), "coordinator: fast\n",
                        "coordinator: expected a mapping, got string \"fast\""),
                broken("string for an attempt count", "maxAttempts: 5", "maxAttempts: five",
                        "coordinator.maxAttempts: expected an integer, got string \"five\""),
                broken("float for a prepare timeout", "prepareTimeoutMs: 2000", "prepareTimeoutMs: 2.5",
                        "coordinator.prepareTimeoutMs: expected an integer, got float 2.5"),
                broken("boolean for a cache size", "resultCacheSize: 100000", "resultCacheSize: false",
                        "coordinator.resultCacheSize: expected an integer, got boolean false"),
                broken("null for a backoff", "lockBackoffMs: 20", "lockBackoffMs:",
                        "coordinator.lockBackoffMs: expected an integer, got null"),
                broken("string for a batch size", "maxBatch: 1024", "maxBatch: many",
                        "participants.maxBatch: expected an integer, got string \"many\""),
                broken("float for an in-doubt timeout", "inDoubtTimeoutMs: 15000", "inDoubtTimeoutMs: 1.5",
                        "participants.inDoubtTimeoutMs: expected an integer, got float 1.5"),
                broken("list for faults", VALID.substring(VALID.indexOf("    faults:"), VALID.indexOf("timeouts:")),
                        "    faults: [slow]\n", "services.shipping.faults: expected a mapping, got a list"),
                broken("string for a latency", "latencyMaxMs: 10", "latencyMaxMs: 10ms",
                        "services.shipping.faults.latencyMaxMs: expected an integer, got string \"10ms\""),
                broken("string for a probability", "dropProbability: 0.0", "dropProbability: often",
                        "services.shipping.faults.dropProbability: expected a number, got string \"often\""),
                broken("quoted number for a probability", "dropProbability: 0.0", "dropProbability: \"0.5\"",
                        "services.shipping.faults.dropProbability: expected a number, got string \"0.5\""),
                broken("boolean for a probability", "forceNoProbability: 0.5", "forceNoProbability: true",
                        "services.shipping.faults.forceNoProbability: expected a number, got boolean true"),
                broken("null for a probability", "forceNoProbability: 0.5", "forceNoProbability:",
                        "services.shipping.faults.forceNoProbability: expected a number, got null"),
                broken("lower-case crash point", "crashAt: NEVER", "crashAt: never",
                        "services.shipping.faults.crashAt: expected one of "
                                + "NEVER | AFTER_VOTE_PERSISTED | AFTER_COMMIT_PERSISTED | BEFORE_PREPARE, got string \"never\""),
                broken("unknown crash point", "crashAt: NEVER", "crashAt: AFTER_ABORT",
                        "services.shipping.faults.crashAt: expected one of "
                                + "NEVER | AFTER_VOTE_PERSISTED | AFTER_COMMIT_PERSISTED | BEFORE_PREPARE, "
                                + "got string \"AFTER_ABORT\""),
                broken("number for a crash point", "crashAt: NEVER", "crashAt: 1",
                        "services.shipping.faults.crashAt: expected one of "
                                + "NEVER | AFTER_VOTE_PERSISTED | AFTER_COMMIT_PERSISTED | BEFORE_PREPARE, got integer 1"),
                broken("mapping for windows", "        - { afterMs: 10000, forMs: 5000 }\n", "        afterMs: 10000\n",
                        "services.shipping.faults.unavailable: expected a list, got a mapping"),
                broken("scalar for a window", "- { afterMs: 10000, forMs: 5000 }",
                        "- { afterMs: 10000, forMs: 5000 }\n        - 20000",
                        "services.shipping.faults.unavailable[1]: expected a mapping, got integer 20000"),
                // out-of-range numbers
                broken("port zero", "raftPort: 7202", "raftPort: 0",
                        "nodes[1].raftPort: must be between 1 and 65535, got 0"),
                broken("port too large", "port: 7403", "port: 65536",
                        "services.order.port: must be between 1 and 65535, got 65536"),
                broken("negative duration", "startupTimeoutMs: 60000", "startupTimeoutMs: -1",
                        "timeouts.startupTimeoutMs: must be positive, got -1"),
                broken("zero count", "maxOutstandingBatches: 32", "maxOutstandingBatches: 0",
                        "log.groupCommit.maxOutstandingBatches: must be between 1 and 2147483647, got 0"),
                broken("replication interval too long", "maxOutstandingBatches: 32",
                        "maxOutstandingBatches: 32\n    replicationIntervalMs: 5000",
                        "log.groupCommit.replicationIntervalMs: must be between 0 and 1000, got 5000"),
                broken("int overflow", "maxOutcomes: 250000", "maxOutcomes: 3000000000",
                        "log.retention.maxOutcomes: must be between 1 and 2147483647, got 3000000000"),
                broken("negative forgotten memory", "maxAgeMs: 3600000", "maxAgeMs: 3600000\n    maxForgotten: -1",
                        "log.retention.maxForgotten: must be between 0 and 100000000, got -1"),
                broken("long overflow", "segmentSizeBytes: 8388608", "segmentSizeBytes: 99999999999999999999",
                        "log.segmentSizeBytes: must be positive, got 99999999999999999999"),
                broken("election range reversed", "electionMinMs: 1000", "electionMinMs: 3000",
                        "timeouts.electionMinMs: must be less than timeouts.electionMaxMs (2000), got 3000"),
                broken("election range empty", "electionMaxMs: 2000", "electionMaxMs: 1000",
                        "timeouts.electionMinMs: must be less than timeouts.electionMaxMs (1000), got 1000"),
                broken("zero in-doubt timeout", "inDoubtTimeoutMs: 15000", "inDoubtTimeoutMs: 0",
                        "participants.inDoubtTimeoutMs: must be positive, got 0"),
                broken("zero batch size", "maxBatch: 1024", "maxBatch: 0",
                        "participants.maxBatch: must be between 1 and 65536, got 0"),
                broken("batch size too large", "maxBatch: 1024", "maxBatch: 65537",
                        "participants.maxBatch: must be between 1 and 65536, got 65537"),
                broken("zero prepare timeout", "prepareTimeoutMs: 2000", "prepareTimeoutMs: 0",
                        "coordinator.prepareTimeoutMs: must be positive, got 0"),
                broken("zero prepare attempts", "prepareAttempts: 3", "prepareAttempts: 0",
                        "coordinator.prepareAttempts: must be between 1 and 100, got 0"),
                broken("too many prepare attempts", "prepareAttempts: 3", "prepareAttempts: 101",
                        "coordinator.prepareAttempts: must be between 1 and 100, got 101"),
                broken("zero retry backoff", "retryBackoffMs: 50", "retryBackoffMs: 0",
                        "coordinator.retryBackoffMs: must be positive, got 0"),
                broken("negative retry backoff cap", "retryBackoffMaxMs: 2000", "retryBackoffMaxMs: -1",
                        "coordinator.retryBackoffMaxMs: must be positive, got -1"),
                broken("retry backoff above its cap", "retryBackoffMs: 50", "retryBackoffMs: 2001",
                        "coordinator.retryBackoffMs: must not be greater than coordinator.retryBackoffMaxMs (2000), "
                                + "got 2001"),
                broken("retry backoff cap below the backoff", "retryBackoffMaxMs: 2000", "retryBackoffMaxMs: 49",
                        "coordinator.retryBackoffMs: must not be greater than coordinator.retryBackoffMaxMs (49), got 50"),
                broken("retry backoff above the default cap", "  retryBackoffMs: 50\n  retryBackoffMaxMs: 2000\n",
                        "  retryBackoffMs: 5000\n",
                        "coordinator.retryBackoffMs: must not be greater than coordinator.retryBackoffMaxMs (2000), "
                                + "got 5000"),
                // Only the invalid cap is reported: its default, 2000, would be compared with 3000.
                broken("retry backoffs not compared with an invalid cap",
                        "  retryBackoffMs: 50\n  retryBackoffMaxMs: 2000\n",
                        "  retryBackoffMs: 3000\n  retryBackoffMaxMs: 0\n",
                        "coordinator.retryBackoffMaxMs: must be positive, got 0"),
                broken("zero transaction timeout", "transactionTimeoutMs: 10000", "transactionTimeoutMs: 0",
                        "coordinator.transactionTimeoutMs: must be between 1 and 600000, got 0"),
                broken("transaction timeout too long", "transactionTimeoutMs: 10000", "transactionTimeoutMs: 600001",
                        "coordinator.transactionTimeoutMs: must be between 1 and 600000, got 600001"),
                broken("zero attempts", "maxAttempts: 5", "maxAttempts: 0",
                        "coordinator.maxAttempts: must be between 1 and 20, got 0"),
                broken("too many attempts", "maxAttempts: 5", "maxAttempts: 21",
                        "coordinator.maxAttempts: must be between 1 and 20, got 21"),
                broken("zero lock backoff", "lockBackoffMs: 20", "lockBackoffMs: 0",
                        "coordinator.lockBackoffMs: must be positive, got 0"),
                broken("zero in-flight limit", "maxInFlight: 10000", "maxInFlight: 0",
                        "coordinator.maxInFlight: must be between 1 and 1000000, got 0"),
                broken("in-flight limit too large", "maxInFlight: 10000", "maxInFlight: 1000001",
                        "coordinator.maxInFlight: must be between 1 and 1000000, got 1000001"),
                broken("negative result cache", "resultCacheSize: 100000", "resultCacheSize: -1",
                        "coordinator.resultCacheSize: must be between 0 and 10000000, got -1"),
                broken("result cache too large", "resultCacheSize: 100000", "resultCacheSize: 10000001",
                        "coordinator.resultCacheSize: must be between 0 and 10000000, got 10000001"),
                broken("result cache beyond an int", "resultCacheSize: 100000", "resultCacheSize: 3000000000",
                        "coordinator.resultCacheSize: must be between 0 and 10000000, got 3000000000"),
                broken("negative latency", "latencyMinMs: 0", "latencyMinMs: -1",
                        "services.shipping.faults.latencyMinMs: must not be negative, got -1"),
                broken("latency range reversed", "latencyMinMs: 0", "latencyMinMs: 11",
                        "services.shipping.faults.latencyMinMs: must not be greater than "
                                + "services.shipping.faults.latencyMaxMs (10), got 11"),
                broken("latency range reversed by the upper bound alone", "latencyMinMs: 0\n      latencyMaxMs: 10\n",
                        "latencyMinMs: 5\n",
                        "services.shipping.faults.latencyMinMs: must not be greater than "
                                + "services.shipping.faults.latencyMaxMs (0), got 5"),
                broken("negative probability", "dropProbability: 0.0", "dropProbability: -0.1",
                        "services.shipping.faults.dropProbability: must be between 0 and 1, got -0.1"),
                broken("probability above one", "forceNoProbability: 0.5", "forceNoProbability: 1.5",
                        "services.shipping.faults.forceNoProbability: must be between 0 and 1, got 1.5"),
                broken("integer probability above one", "forceNoProbability: 0.5", "forceNoProbability: 2",
                        "services.shipping.faults.forceNoProbability: must be between 0 and 1, got 2"),
                broken("NaN probability", "dropProbability: 0.0", "dropProbability: .nan",
                        "services.shipping.faults.dropProbability: must be between 0 and 1, got NaN"),
                broken("infinite probability", "dropProbability: 0.0", "dropProbability: .inf",
                        "services.shipping.faults.dropProbability: must be between 0 and 1, got Infinity"),
                broken("negative window start", "afterMs: 10000", "afterMs: -1",
                        "services.shipping.faults.unavailable[0].afterMs: must not be negative, got -1"),
                broken("empty window", "forMs: 5000", "forMs: 0",
                        "services.shipping.faults.unavailable[0].forMs: must be positive, got 0"),
                broken("bad second window", "- { afterMs: 10000, forMs: 5000 }",
                        "- { afterMs: 10000, forMs: 5000 }\n        - { afterMs: 0, forMs: -5 }",
                        "services.shipping.faults.unavailable[1].forMs: must be positive, got -5"),
                // node ids and the cluster name
                broken("duplicate node id", "id: n3", "id: n1",
                        "nodes[2].id: duplicate node id \"n1\" (also nodes[0].id)"),
                broken("node id with a space", "id: n2", "id: n 2",
                        "nodes[1].id: must match [A-Za-z0-9_-]{1,32}, got string \"n 2\""),
                broken("node id with a dot", "id: n2", "id: n.2",
                        "nodes[1].id: must match [A-Za-z0-9_-]{1,32}, got string \"n.2\""),
                broken("node id too long", "id: n2", "id: " + "x".repeat(33),
                        "nodes[1].id: must match [A-Za-z0-9_-]{1,32}, got string \"" + "x".repeat(33) + "\""),
                broken("empty node id", "id: n2", "id: ''", "nodes[1].id: must not be empty"),
                broken("no nodes", VALID.substring(VALID.indexOf("nodes:"), VALID.indexOf("services:")), "nodes: []\n",
                        "nodes: must list at least one node"),
                broken("host with a space", "{ host: 127.0.0.1, port: 7403 }", "{ host: 127.0.0.1 x, port: 7403 }",
                        "services.order.host: must not contain whitespace, got string \"127.0.0.1 x\""),
                broken("bad cluster name", "name: test", "name: my/cluster",
                        "name: must match [A-Za-z0-9_-]{1,64}, got string \"my/cluster\""),
                broken("cluster name too long", "name: test", "name: " + "c".repeat(65),
                        "name: must match [A-Za-z0-9_-]{1,64}, got string \"" + "c".repeat(40) + "...\""),
                // ports shared on one host
                broken("node port reused by a node", "raftPort: 7202", "raftPort: 7201",
                        "nodes[1].raftPort: port 7201 on 127.0.0.1 already used by nodes[0].raftPort"),
                broken("port reused within a node", "adminPort: 7303", "adminPort: 7103",
                        "nodes[2].adminPort: port 7103 on 127.0.0.1 already used by nodes[2].clientPort"),
                broken("node port reused by a service", "port: 7404", "port: 7302",
                        "services.shipping.port: port 7302 on 127.0.0.1 already used by nodes[1].adminPort"),
                broken("service port reused by a service", "port: 7402", "port: 7401",
                        "services.payment.port: port 7401 on 127.0.0.1 already used by services.inventory.port"),
                // services
                broken("unknown service", "  shipping:", "  billing: { host: 127.0.0.1, port: 7405 }\n  shipping:",
                        "services.billing: unknown service (expected one of: inventory, payment, order, shipping)"),
                broken("missing service", "  order:     { host: 127.0.0.1, port: 7403 }\n", "",
                        "services.order: missing"),
                broken("service name in upper case", "  order:", "  ORDER:",
                        "services.ORDER: unknown service (expected one of: inventory, payment, order, shipping)",
                        "services.order: missing"));
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

        assertThat(problemsOf(yaml).problems()).containsExactly(
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

        assertThat(problemsOf(yaml).problems()).containsExactly("nodes[1].host: expected a string, got integer 5");
    }

    /** A variant of {@link #VALID} with its one occurrence of {@code from} replaced by {@code to}. */
    private static Arguments broken(String description, String from, String to, String... problems) {
        assertThat(VALID.indexOf(from)).as("'%s' occurs in VALID", from).isNotNegative();
        assertThat(VALID.indexOf(from, VALID.indexOf(from) + 1)).as("'%s' occurs once in VALID", from).isNegative();
        return Arguments.of(description, VALID.replace(from, to), problems);
    }

    private static ConfigException problemsOf(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ClusterConfig.parse(yaml, "test.yaml"));
        assertThat(e).as("a ConfigException for:\n%s", yaml).isNotNull();
        assertThat(e.source()).isEqualTo("test.yaml");
        return e;
    }
}
