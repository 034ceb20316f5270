package io.dtm.log.raft;

import io.dtm.config.ClusterConfig;
import io.dtm.config.NodeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node ids one process takes on its Raft port ({@link NodesOnlyTrust}): the configuration's
 * nodes, and the members the log has since named (a group's configuration changed to take in a
 * node this process's configuration does not know yet), and a node an admin is adding through this
 * one. Only grows while the process runs: a removed node keeps its certificate's trust until the
 * process restarts on a configuration without it.
 */
public final class RaftNodes {
    private static final Logger LOG = LoggerFactory.getLogger(RaftNodes.class);

    private final String process;
    private final Set<String> ids = ConcurrentHashMap.newKeySet();

    public RaftNodes(ClusterConfig config, String process) {
        this.process = process;
        config.nodes().stream().map(NodeConfig::id).forEach(ids::add);
    }

    public boolean contains(String nodeId) {
        return ids.contains(nodeId);
    }

    /** Takes in {@code nodeIds}, saying which are new. */
    public void admit(Collection<String> nodeIds, String why) {
        for (String id : nodeIds) {
            if (ids.add(id)) {
                LOG.info("[{}] the Raft port now takes node {} ({})", process, id, why);
            }
        }
    }
}
