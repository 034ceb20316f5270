package io.dtm.jepsen.run;

import io.dtm.config.ServiceName;
import io.dtm.jepsen.env.Network;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Cuts links between processes (iptables in their network namespaces) as a {@link Grudge} says. */
final class Partition extends Nemesis {
    /** How a partition cuts the processes: a list of one-way drops (from, to). */
    interface Grudge {
        List<List<String>> drops(TestCluster cluster, Random random);
    }

    private final Grudge grudge;

    Partition(String name, Grudge grudge) {
        super(name, true);
        this.grudge = grudge;
    }

    @Override
    Map<String, Object> start(TestCluster cluster, Random random) {
        Network net = cluster.network().orElseThrow();
        List<List<String>> drops = grudge.drops(cluster, random);
        for (List<String> d : drops) {
            net.drop(d.get(0), d.get(1));
        }
        return Map.of("drops", drops);
    }

    @Override
    void stop(TestCluster cluster) {
        cluster.network().orElseThrow().heal();
    }

    /** Both ways between every pair in different components. */
    static List<List<String>> apart(List<? extends java.util.Collection<String>> components) {
        List<List<String>> drops = new ArrayList<>();
        for (int i = 0; i < components.size(); i++) {
            for (int j = 0; j < components.size(); j++) {
                if (i != j) {
                    for (String from : components.get(i)) {
                        for (String to : components.get(j)) {
                            drops.add(List.of(from, to));
                        }
                    }
                }
            }
        }
        return drops;
    }

    static List<List<String>> isolateLeader(TestCluster cluster, Random random) {
        String leader = leaderOrAny(cluster, random);
        List<String> rest = new ArrayList<>(cluster.names());
        rest.remove(leader);
        return apart(List.of(List.of(leader), rest));
    }

    static List<List<String>> halves(TestCluster cluster, Random random) {
        List<String> all = new ArrayList<>(cluster.names());
        Collections.shuffle(all, random);
        int cut = all.size() / 2;
        return apart(List.of(all.subList(0, cut), all.subList(cut, all.size())));
    }

    /** Each coordinator hears only from the next one around a ring: each sees a majority, no two the same. */
    static List<List<String>> majoritiesRing(TestCluster cluster, Random random) {
        List<String> ring = new ArrayList<>(TestCluster.NODES);
        Collections.shuffle(ring, random);
        List<List<String>> drops = new ArrayList<>();
        for (int i = 0; i < ring.size(); i++) {
            String to = ring.get(i);
            for (String from : ring) {
                if (!from.equals(to) && !from.equals(ring.get((i + 1) % ring.size()))) {
                    drops.add(List.of(from, to));
                }
            }
        }
        return drops;
    }

    /** Two halves that cannot reach each other, and one process that reaches both. */
    static List<List<String>> bridge(TestCluster cluster, Random random) {
        List<String> all = new ArrayList<>(cluster.names());
        Collections.shuffle(all, random);
        all.remove(0); // the bridge keeps every link
        int cut = all.size() / 2;
        return apart(List.of(all.subList(0, cut), all.subList(cut, all.size())));
    }

    static List<List<String>> coordinatorsParticipants(TestCluster cluster, Random random) {
        List<String> services = cluster.names().stream().filter(n -> !TestCluster.NODES.contains(n)).toList();
        return apart(List.of(TestCluster.NODES, services));
    }

    static List<List<String>> participantLeader(TestCluster cluster, Random random) {
        String service = ServiceName.values()[random.nextInt(ServiceName.values().length)].id();
        return apart(List.of(List.of(leaderOrAny(cluster, random)), List.of(service)));
    }

    /** The leader stops hearing from one other process, which still hears the leader. */
    static List<List<String>> oneWay(TestCluster cluster, Random random) {
        String leader = leaderOrAny(cluster, random);
        List<String> others = new ArrayList<>(cluster.names());
        others.remove(leader);
        return List.of(List.of(others.get(random.nextInt(others.size())), leader));
    }
}
