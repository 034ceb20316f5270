package io.dtm.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One port that a configuration assigns, with the key path that assigns it. Two processes on
 * one host cannot listen on the same port, so every node and service port must differ per host.
 * Hosts compare as strings: "localhost" and "127.0.0.1" count as different hosts, which keeps
 * the check free of name resolution.
 */
record PortUse(String path, String host, int port) {

    /** A problem for every use of a port already used earlier in {@code uses}, naming the first use. */
    static List<String> conflicts(List<PortUse> uses) {
        Map<String, PortUse> first = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (PortUse use : uses) {
            PortUse earlier = first.putIfAbsent(use.host + ":" + use.port, use);
            if (earlier != null) {
                problems.add(use.path + ": port " + use.port + " on " + use.host + " already used by " + earlier.path);
            }
        }
        return problems;
    }

    /** Every port of a typed configuration, with the key paths its YAML form would have. */
    static List<PortUse> of(List<NodeConfig> nodes, Map<ServiceName, ServiceConfig> services) {
        List<PortUse> uses = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeConfig node = nodes.get(i);
            uses.add(new PortUse("nodes[" + i + "].clientPort", node.host(), node.clientPort()));
            uses.add(new PortUse("nodes[" + i + "].raftPort", node.host(), node.raftPort()));
            uses.add(new PortUse("nodes[" + i + "].adminPort", node.host(), node.adminPort()));
        }
        services.forEach((name, service) ->
                uses.add(new PortUse("services." + name.id() + ".port", service.host(), service.port())));
        return uses;
    }
}
