package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.NodeConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The coordinator nodes a running process knows: those of its configuration, and those added to the
 * cluster since it started ({@code dtm cluster replace-node} writes them into the configuration
 * file before starting them). When a node id it does not know turns up — a new node's certificate,
 * a NOT_LEADER naming it — the process reads its configuration file again, at most once every
 * {@link #RELOAD_EVERY_MS}, and knows the node from then on. A configuration that came from
 * anywhere but a file stays as it is.
 */
public final class NodeDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(NodeDirectory.class);
    /** A certificate of an unknown node makes at most one read of the file this often. */
    static final long RELOAD_EVERY_MS = 1_000;

    private volatile ClusterConfig config;
    private final LongSupplier nanoTime;
    private final AtomicLong lastReloadNanos = new AtomicLong(Long.MIN_VALUE / 2);

    public NodeDirectory(ClusterConfig config) {
        this(config, System::nanoTime);
    }

    NodeDirectory(ClusterConfig config, LongSupplier nanoTime) {
        this.config = config;
        this.nanoTime = nanoTime;
    }

    /** The node {@code id}, read again from the configuration file when it is not known yet. */
    public Optional<NodeConfig> find(String id) {
        Optional<NodeConfig> known = lookup(config, id);
        if (known.isPresent()) {
            return known;
        }
        reload();
        return lookup(config, id);
    }

    /** The configuration as last read. */
    public ClusterConfig config() {
        return config;
    }

    private static Optional<NodeConfig> lookup(ClusterConfig config, String id) {
        return config.nodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }

    private void reload() {
        long now = nanoTime.getAsLong();
        long last = lastReloadNanos.get();
        if (now - last < RELOAD_EVERY_MS * 1_000_000 || !lastReloadNanos.compareAndSet(last, now)) {
            return;
        }
        ClusterConfig current = config;
        Path file;
        try {
            file = Path.of(current.source());
        } catch (RuntimeException e) {
            return;
        }
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            ClusterConfig read = ClusterConfig.load(file);
            // Only the nodes are taken: the directories, the TLS files and the rest stay as this process started.
            ClusterConfig merged = current.withNodes(read.nodes());
            if (!merged.nodes().equals(current.nodes())) {
                LOG.info("{} lists other nodes now: {} (was {})", file, merged.nodes().stream().map(NodeConfig::id).toList(),
                        current.nodes().stream().map(NodeConfig::id).toList());
            }
            config = merged;
        } catch (ConfigException e) {
            LOG.warn("could not read {} again for a node it may list now: {}", file, e.getMessage());
        }
    }
}
