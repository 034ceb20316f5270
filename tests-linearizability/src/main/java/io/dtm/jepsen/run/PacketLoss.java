package io.dtm.jepsen.run;

import io.dtm.jepsen.env.Network;

import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Every process loses a share of the packets from the others. */
final class PacketLoss extends Nemesis {
    static final double PROBABILITY = 0.2;

    PacketLoss() {
        super("packet-loss", true);
    }

    @Override
    Map<String, Object> start(TestCluster cluster, Random random) {
        Network net = cluster.network().orElseThrow();
        for (String host : cluster.names()) {
            net.loss(host, PROBABILITY);
        }
        return Map.of("lossProbability", PROBABILITY, "hosts", Set.copyOf(cluster.names()));
    }

    @Override
    void stop(TestCluster cluster) {
        cluster.network().orElseThrow().heal();
    }
}
