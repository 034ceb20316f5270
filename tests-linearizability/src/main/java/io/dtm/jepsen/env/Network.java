package io.dtm.jepsen.env;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One network namespace per process, joined by veth pairs to a bridge, on a private /24 used only
 * inside these namespaces: {@code 10.77.0.1} is the bridge (the harness and its clients, in the
 * root namespace), the hosts get {@code 10.77.0.11} and up. Links are cut with iptables inside
 * the receiving namespace, so a fault between two processes never touches the harness's own
 * connections. Everything it creates is named {@code dtmj-*}, so that {@link #reap()} can remove
 * what a killed harness left behind.
 */
public final class Network implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Network.class);
    static final String PREFIX = "dtmj";
    static final String BRIDGE = PREFIX + "-br";
    static final String SUBNET = "10.77.0.";
    public static final String HARNESS_ADDRESS = SUBNET + "1";

    private final Map<String, Integer> hosts = new LinkedHashMap<>();

    private Network(List<String> names) {
        for (int i = 0; i < names.size(); i++) {
            hosts.put(names.get(i), i + 1);
        }
    }

    /** Why this machine cannot run the namespaces and the faults on them, or empty when it can. */
    public static Optional<String> unsupported() {
        Sh.Result id = Sh.tryRun(List.of("id", "-u"));
        if (id.exitCode() != 0 || !id.output().strip().equals("0")) {
            return Optional.of("not root: network namespaces and iptables need root");
        }
        if (Sh.tryRun(List.of("ip", "-V")).exitCode() != 0) {
            return Optional.of("no ip command (apt-get install -y iproute2)");
        }
        if (Sh.tryRun(List.of("iptables", "--version")).exitCode() != 0) {
            return Optional.of("no iptables (apt-get install -y iptables)");
        }
        String probe = PREFIX + "-probe";
        Sh.Result add = Sh.tryRun(List.of("ip", "netns", "add", probe));
        if (add.exitCode() != 0) {
            return Optional.of("cannot create a network namespace: " + add.output().strip());
        }
        Sh.Result rules = Sh.tryRun(List.of("ip", "netns", "exec", probe, "iptables", "-L", "INPUT"));
        Sh.tryRun(List.of("ip", "netns", "del", probe));
        if (rules.exitCode() != 0) {
            return Optional.of("iptables does not work in a namespace: " + rules.output().strip());
        }
        return Optional.empty();
    }

    /** Creates a namespace per host (after removing anything a previous run left). */
    public static Network create(List<String> names) {
        reap();
        Network net = new Network(names);
        try {
            Sh.run("ip", "link", "add", BRIDGE, "type", "bridge");
            Sh.run("ip", "addr", "add", HARNESS_ADDRESS + "/24", "dev", BRIDGE);
            Sh.run("ip", "link", "set", BRIDGE, "up");
            for (Map.Entry<String, Integer> h : net.hosts.entrySet()) {
                String ns = namespace(h.getKey());
                String outside = PREFIX + h.getValue() + "h";
                String inside = PREFIX + h.getValue() + "n";
                Sh.run("ip", "netns", "add", ns);
                Sh.run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
                Sh.run("ip", "link", "set", inside, "netns", ns);
                Sh.run("ip", "link", "set", outside, "master", BRIDGE);
                Sh.run("ip", "link", "set", outside, "up");
                Sh.run("ip", "netns", "exec", ns, "ip", "addr", "add", net.address(h.getKey()) + "/24", "dev", inside);
                Sh.run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
                Sh.run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            }
        } catch (RuntimeException e) {
            reap();
            throw e;
        }
        LOG.info("network: {} namespaces on {} ({}0/24)", names.size(), BRIDGE, SUBNET);
        return net;
    }

    public List<String> hosts() {
        return List.copyOf(hosts.keySet());
    }

    public String address(String host) {
        return SUBNET + (10 + index(host));
    }

    /** {@code command} run inside {@code host}'s namespace. */
    public List<String> inside(String host, List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        wrapped.addAll(command);
        return wrapped;
    }

    /** Packets from {@code from} no longer reach {@code to} (one way: replies still go back). */
    public void drop(String from, String to) {
        iptables(to, "-A", "INPUT", "-s", address(from), "-j", "DROP");
    }

    /** The hosts in different components no longer reach each other, both ways; within one, they do. */
    public void partition(Collection<? extends Collection<String>> components) {
        List<List<String>> parts = components.stream().map(List::copyOf).toList();
        for (int i = 0; i < parts.size(); i++) {
            for (int j = 0; j < parts.size(); j++) {
                if (i != j) {
                    for (String from : parts.get(i)) {
                        for (String to : parts.get(j)) {
                            drop(from, to);
                        }
                    }
                }
            }
        }
    }

    /** {@code host} loses each incoming packet from the other hosts with {@code probability}. */
    public void loss(String host, double probability) {
        for (String other : hosts.keySet()) {
            if (!other.equals(host)) {
                iptables(host, "-A", "INPUT", "-s", address(other), "-m", "statistic", "--mode", "random",
                        "--probability", String.valueOf(probability), "-j", "DROP");
            }
        }
    }

    /** Every link works again. */
    public void heal() {
        for (String host : hosts.keySet()) {
            iptables(host, "-F", "INPUT");
        }
    }

    /** Removes every namespace and the bridge (and kills what still runs in them). */
    @Override
    public void close() {
        reap();
    }

    /**
     * Removes whatever any run left: processes still running in {@code dtmj-*} namespaces (killed),
     * the namespaces, their veths and the bridge. Safe to call when there is nothing.
     */
    public static void reap() {
        Sh.Result list = Sh.tryRun(List.of("ip", "netns", "list"));
        if (list.exitCode() != 0) {
            return;
        }
        for (String line : list.output().split("\n")) {
            String ns = line.strip().split("\\s+")[0];
            if (!ns.startsWith(PREFIX + "-")) {
                continue;
            }
            for (String pid : Sh.tryRun(List.of("ip", "netns", "pids", ns)).output().split("\\s+")) {
                if (pid.matches("\\d+")) {
                    Sh.tryRun(List.of("kill", "-9", pid));
                }
            }
            Sh.tryRun(List.of("ip", "netns", "del", ns));
            LOG.info("network: removed namespace {}", ns);
        }
        // The kernel tears a deleted namespace down asynchronously, and its veth pair with it: a host
        // side can outlive `ip netns del` and would make the next run's `ip link add` fail. Delete
        // every link of ours still there, the bridge last.
        for (String link : links()) {
            if (!link.equals(BRIDGE)) {
                Sh.tryRun(List.of("ip", "link", "del", link));
                LOG.info("network: removed leftover link {}", link);
            }
        }
        if (Sh.tryRun(List.of("ip", "link", "show", BRIDGE)).exitCode() == 0) {
            Sh.tryRun(List.of("ip", "link", "del", BRIDGE));
        }
    }

    /** Names of this machine's links that are ours ({@code dtmj...}), as {@code ip -o link show} lists them. */
    static List<String> links() {
        List<String> ours = new ArrayList<>();
        for (String line : Sh.tryRun(List.of("ip", "-o", "link", "show")).output().split("\n")) {
            // "446: dtmj4h@if445: <BROADCAST,..." -> "dtmj4h"
            String[] fields = line.split(":\\s+", 3);
            if (fields.length >= 2) {
                String name = fields[1].split("@", 2)[0].strip();
                if (name.startsWith(PREFIX)) {
                    ours.add(name);
                }
            }
        }
        return ours;
    }

    private void iptables(String host, String... rule) {
        List<String> command = new ArrayList<>(List.of("iptables"));
        command.addAll(List.of(rule));
        Sh.run(inside(host, command));
    }

    private int index(String host) {
        Integer i = hosts.get(host);
        if (i == null) {
            throw new IllegalArgumentException("no host " + host + " (hosts: " + hosts.keySet() + ")");
        }
        return i;
    }

    static String namespace(String host) {
        return PREFIX + "-" + host;
    }
}
