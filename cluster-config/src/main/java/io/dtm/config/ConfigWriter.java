package io.dtm.config;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * Renders a {@link ClusterConfig} as YAML in the layout of {@code conf/local.yaml}, so that a
 * written file reads like a hand-written one and parses back to an equal configuration.
 */
final class ConfigWriter {

    /** Characters that never need quoting, in block or flow context. */
    private static final Pattern PLAIN_SAFE = Pattern.compile("[A-Za-z0-9._/-]+");

    private ConfigWriter() {
    }

    static String toYaml(ClusterConfig config) {
        StringBuilder yaml = new StringBuilder();
        yaml.append("# DTM cluster configuration; conf/local.yaml explains every key.\n");
        yaml.append("name: ").append(scalar(config.name())).append('\n');
        yaml.append("dataDir: ").append(scalar(config.dataDir().toString())).append('\n');
        yaml.append("nodes:\n");
        for (NodeConfig node : config.nodes()) {
            yaml.append("  - id: ").append(scalar(node.id())).append('\n');
            yaml.append("    host: ").append(scalar(node.host())).append('\n');
            yaml.append("    clientPort: ").append(node.clientPort()).append('\n');
            yaml.append("    raftPort: ").append(node.raftPort()).append('\n');
            yaml.append("    adminPort: ").append(node.adminPort()).append('\n');
        }
        yaml.append("services:\n");
        for (Map.Entry<ServiceName, ServiceConfig> entry : config.services().entrySet()) {
            ServiceConfig service = entry.getValue();
            if (service.faults().isNone()) {
                yaml.append("  ").append(entry.getKey().id()).append(": { host: ").append(scalar(service.host()))
                        .append(", port: ").append(service.port()).append(" }\n");
            } else {
                yaml.append("  ").append(entry.getKey().id()).append(":\n");
                yaml.append("    host: ").append(scalar(service.host())).append('\n');
                yaml.append("    port: ").append(service.port()).append('\n');
                faults(yaml, service.faults());
            }
        }
        TimeoutsConfig timeouts = config.timeouts();
        yaml.append("timeouts:\n");
        yaml.append("  electionMinMs: ").append(timeouts.electionMinMs()).append('\n');
        yaml.append("  electionMaxMs: ").append(timeouts.electionMaxMs()).append('\n');
        yaml.append("  rpcTimeoutMs: ").append(timeouts.rpcTimeoutMs()).append('\n');
        yaml.append("  startupTimeoutMs: ").append(timeouts.startupTimeoutMs()).append('\n');
        LogConfig log = config.log();
        yaml.append("log:\n");
        yaml.append("  groups: ").append(log.groups()).append('\n');
        if (log.replication() != LogConfig.DEFAULT_REPLICATION) {
            yaml.append("  replication: ").append(log.replication()).append('\n');
        }
        yaml.append("  snapshotEveryEntries: ").append(log.snapshotEveryEntries()).append('\n');
        yaml.append("  segmentSizeBytes: ").append(log.segmentSizeBytes()).append('\n');
        yaml.append("  retention:\n");
        yaml.append("    maxOutcomes: ").append(log.retention().maxOutcomes()).append('\n');
        yaml.append("    maxAgeMs: ").append(log.retention().maxAgeMs()).append('\n');
        yaml.append("    maxForgotten: ").append(log.retention().maxForgotten()).append('\n');
        yaml.append("  groupCommit:\n");
        yaml.append("    maxRecords: ").append(log.groupCommit().maxRecords()).append('\n');
        yaml.append("    maxOutstandingBatches: ").append(log.groupCommit().maxOutstandingBatches()).append('\n');
        yaml.append("    replicationIntervalMs: ").append(log.groupCommit().replicationIntervalMs()).append('\n');
        ParticipantsConfig participants = config.participants();
        yaml.append("participants:\n");
        yaml.append("  inDoubtTimeoutMs: ").append(participants.inDoubtTimeoutMs()).append('\n');
        yaml.append("  maxBatch: ").append(participants.maxBatch()).append('\n');
        yaml.append("  faultInjection: ").append(participants.faultInjection()).append('\n');
        CoordinatorConfig coordinator = config.coordinator();
        yaml.append("coordinator:\n");
        yaml.append("  prepareTimeoutMs: ").append(coordinator.prepareTimeoutMs()).append('\n');
        yaml.append("  prepareAttempts: ").append(coordinator.prepareAttempts()).append('\n');
        yaml.append("  retryBackoffMs: ").append(coordinator.retryBackoffMs()).append('\n');
        yaml.append("  retryBackoffMaxMs: ").append(coordinator.retryBackoffMaxMs()).append('\n');
        yaml.append("  transactionTimeoutMs: ").append(coordinator.transactionTimeoutMs()).append('\n');
        yaml.append("  maxAttempts: ").append(coordinator.maxAttempts()).append('\n');
        yaml.append("  lockBackoffMs: ").append(coordinator.lockBackoffMs()).append('\n');
        yaml.append("  maxInFlight: ").append(coordinator.maxInFlight()).append('\n');
        yaml.append("  resultCacheSize: ").append(coordinator.resultCacheSize()).append('\n');
        LimitsConfig limits = config.limits();
        yaml.append("limits:\n");
        yaml.append("  maxConnections: ").append(limits.maxConnections()).append('\n');
        yaml.append("  maxInFlightPerConnection: ").append(limits.maxInFlightPerConnection()).append('\n');
        yaml.append("  idleTimeoutMs: ").append(limits.idleTimeoutMs()).append('\n');
        yaml.append("  maxReasonChars: ").append(limits.maxReasonChars()).append('\n');
        TlsConfig tls = config.tls();
        yaml.append("tls:\n");
        yaml.append("  enabled: ").append(tls.enabled()).append('\n');
        optional(yaml, "dir", tls.dir());
        optional(yaml, "caFile", tls.caFile());
        optional(yaml, "certFile", tls.certFile());
        optional(yaml, "keyFile", tls.keyFile());
        return yaml.toString();
    }

    private static void optional(StringBuilder yaml, String key, Object value) {
        if (value != null) {
            yaml.append("  ").append(key).append(": ").append(scalar(value.toString())).append('\n');
        }
    }

    private static void faults(StringBuilder yaml, FaultsConfig faults) {
        yaml.append("    faults:\n");
        yaml.append("      latencyMinMs: ").append(faults.latencyMinMs()).append('\n');
        yaml.append("      latencyMaxMs: ").append(faults.latencyMaxMs()).append('\n');
        // Double.toString gives enough digits to read back as the same double, in a form (0.25,
        // 1.0E-4) that YAML reads as a float, so probabilities survive a round trip exactly.
        yaml.append("      dropProbability: ").append(faults.dropProbability()).append('\n');
        yaml.append("      forceNoProbability: ").append(faults.forceNoProbability()).append('\n');
        yaml.append("      crashAt: ").append(faults.crashAt().name()).append('\n');
        if (faults.unavailable().isEmpty()) {
            yaml.append("      unavailable: []\n");
        } else {
            yaml.append("      unavailable:\n");
            for (UnavailableWindow window : faults.unavailable()) {
                yaml.append("        - { afterMs: ").append(window.afterMs())
                        .append(", forMs: ").append(window.forMs()).append(" }\n");
            }
        }
    }

    /**
     * A string as a YAML scalar: plain when that reads back as the same string, double-quoted
     * otherwise. Safe characters alone are not enough: "123", "true" and "null" would read back
     * as a number, a boolean and null, so the plain form is checked by loading it.
     */
    static String scalar(String text) {
        if (PLAIN_SAFE.matcher(text).matches() && text.equals(ConfigParser.loadYaml(text, "scalar"))) {
            return text;
        }
        StringBuilder quoted = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                case '\n' -> quoted.append("\\n");
                case '\t' -> quoted.append("\\t");
                default -> {
                    // Also escape what a YAML reader might take for a line break or refuse outright.
                    if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029 || c == 0xFEFF) {
                        quoted.append(String.format("\\u%04x", c));
                    } else {
                        quoted.appendCodePoint(c);
                    }
                }
            }
        });
        return quoted.append('"').toString();
    }
}
