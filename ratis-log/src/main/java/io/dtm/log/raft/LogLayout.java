package io.dtm.log.raft;

import io.dtm.config.ClusterConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * How a node's log was split when its data was created: the group count and the replication,
 * kept in {@value #FILE} in the node's Raft storage. The group count may not change afterwards — a
 * tid's group is a function of it, so another count would look for every transaction in the wrong
 * group — and a node refuses to start, saying so, when its configuration has another. The
 * replication may: it says where groups start, and the members of a group change with the node list
 * ({@code dtm cluster add-node|remove-node}), as its Raft configuration.
 *
 * <p>Data made before layouts were written (one group of every node) has Raft group directories and
 * no layout file: it is read as that layout.
 */
public record LogLayout(int groups, int replication) {
    /** The layout file, in a node's Raft storage directory. */
    public static final String FILE = "log-layout";

    private static final Pattern LINE = Pattern.compile("groups=(\\d+) replication=(\\d+)");
    /** Ratis names a group's directory after its UUID. */
    private static final Pattern GROUP_DIR = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    /** The layout {@code config} asks for. */
    public static LogLayout of(ClusterConfig config) {
        return new LogLayout(config.log().groups(), config.replication());
    }

    /**
     * Checks the layout of the data in {@code storageDir} against {@code config}'s, writing it when
     * the storage is new.
     *
     * @throws IllegalStateException naming both layouts and what to do, when they differ
     */
    public static void checkOrCreate(ClusterConfig config, String nodeId, Path storageDir) throws IOException {
        LogLayout wanted = of(config);
        Path file = storageDir.resolve(FILE);
        LogLayout found;
        if (Files.exists(file)) {
            found = parse(Files.readString(file, StandardCharsets.UTF_8).strip(), file);
        } else if (hasGroupDirs(storageDir)) {
            found = new LogLayout(1, config.nodes().size()); // data of a build before layouts
        } else {
            found = null;
        }
        if (found != null && found.groups != wanted.groups) {
            throw new IllegalStateException("[" + nodeId + "] this node's log was created with " + found.describe()
                    + "; the configuration (" + config.source() + ") says " + wanted.describe() + ". A cluster's"
                    + " group count is fixed when its data is created (a tid's group depends on it): start it with"
                    + " log.groups: " + found.groups + ", or start a new cluster in a new directory");
        }
        if (found == null || !Files.exists(file)) {
            Files.createDirectories(storageDir);
            Path tmp = storageDir.resolve(FILE + ".tmp");
            Files.writeString(tmp, wanted.line() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Whether {@code storageDir} holds no log at all: neither a layout nor a group's directory. */
    public static boolean isBlank(Path storageDir) throws IOException {
        return !Files.exists(storageDir.resolve(FILE)) && !hasGroupDirs(storageDir);
    }

    String line() {
        return "groups=" + groups + " replication=" + replication;
    }

    String describe() {
        return groups + " log group(s) of " + replication + " node(s) each";
    }

    static LogLayout parse(String text, Path file) {
        Matcher m = LINE.matcher(text);
        if (!m.matches()) {
            throw new IllegalStateException(file + " is damaged: expected \"groups=N replication=R\", found \""
                    + text + "\"");
        }
        return new LogLayout(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    private static boolean hasGroupDirs(Path storageDir) throws IOException {
        if (!Files.isDirectory(storageDir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(storageDir)) {
            List<Path> dirs = entries.filter(Files::isDirectory).toList();
            return dirs.stream().anyMatch(d -> GROUP_DIR.matcher(d.getFileName().toString()).matches());
        }
    }
}
