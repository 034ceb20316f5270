package io.dtm.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.junit.jupiter.params.provider.Arguments;

/** The valid configuration the validation tests break, one way each, and how they break it. */
final class ValidConfig {
    private ValidConfig() {
    }

    static final String YAML = """
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
              faultInjection: true
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
              dir: /var/lib/dtm/tls
            """;

    /** A variant of {@link #YAML} with its one occurrence of {@code from} replaced by {@code to}. */
    static Arguments broken(String description, String from, String to, String... problems) {
        assertThat(YAML.indexOf(from)).as("'%s' occurs in YAML", from).isNotNegative();
        assertThat(YAML.indexOf(from, YAML.indexOf(from) + 1)).as("'%s' occurs once in YAML", from).isNegative();
        return Arguments.of(description, YAML.replace(from, to), problems);
    }

    static ConfigException problemsOf(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ClusterConfig.parse(yaml, "test.yaml"));
        assertThat(e).as("a ConfigException for:\n%s", yaml).isNotNull();
        assertThat(e.source()).isEqualTo("test.yaml");
        return e;
    }
}
