package io.dtm.rpc;

import io.dtm.config.NodeConfig;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The coordinator nodes a client asks, by index: its configuration's, then nodes it has learned of
 * since from a NOT_LEADER naming a leader it did not know, with that leader's client address (a
 * node added to the cluster after the client started). Indexes never change; at most
 * {@link #MAX_LEARNED} nodes are learned (a misled or hostile answer cannot grow it for ever).
 */
public final class KnownNodes {
    public static final int MAX_LEARNED = 16;

    private final List<NodeConfig> nodes;
    private final int capacity;

    public KnownNodes(List<NodeConfig> configured) {
        this.nodes = new CopyOnWriteArrayList<>(configured);
        this.capacity = configured.size() + MAX_LEARNED;
    }

    /** How many indexes a caller may ever see: size for arrays indexed by node. */
    public int capacity() {
        return capacity;
    }

    public int size() {
        return nodes.size();
    }

    public NodeConfig get(int index) {
        return nodes.get(index);
    }

    /** The index of {@code nodeId}, or -1. */
    public int indexOf(String nodeId) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i).id().equals(nodeId)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The index of {@code nodeId}, learning it at {@code clientAddress} ("host:port", from a
     * NOT_LEADER) when it is new; -1 when it is unknown and the address is not usable or no room is left.
     */
    public synchronized int indexOrLearn(String nodeId, String clientAddress) {
        int known = indexOf(nodeId);
        if (known >= 0 || nodeId.isEmpty()) {
            return known;
        }
        Optional<NodeConfig> learned = parse(nodeId, clientAddress);
        if (learned.isEmpty() || nodes.size() >= capacity) {
            return -1;
        }
        nodes.add(learned.get());
        return nodes.size() - 1;
    }

    static Optional<NodeConfig> parse(String nodeId, String clientAddress) {
        int colon = clientAddress.lastIndexOf(':');
        if (colon <= 0 || colon == clientAddress.length() - 1) {
            return Optional.empty();
        }
        try {
            int port = Integer.parseInt(clientAddress.substring(colon + 1));
            if (port < 1 || port > 65_535) {
                return Optional.empty();
            }
            // Only the client port is known: a client never needs the others.
            return Optional.of(new NodeConfig(nodeId, clientAddress.substring(0, colon), port, 0, 0));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
