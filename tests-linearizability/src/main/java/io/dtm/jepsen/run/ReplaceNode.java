package io.dtm.jepsen.run;

import io.dtm.rpc.ClusterView;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code replace-node}: a coordinator's machine is lost, disk and all, and a new one takes its place
 * under the same name while the load goes on. Start: the node is SIGKILLed, its data deleted, and it
 * is taken out of every log group it was a member of (each group's leader agrees its new members,
 * CHANGE_MEMBERS); the groups run on the others. Stop: the node starts empty with {@code --join} and
 * each group's leader adds it back, in its old place (so preferred leaders stay where they were): it
 * catches up from the leader, by snapshot where the log is purged, and votes again. What it checks
 * comes from every checker: nothing a majority committed is lost when a member is replaced, and the
 * replica rebuilt from nothing agrees with the others.
 */
final class ReplaceNode extends Nemesis {
    private static final Duration CHANGE_TIMEOUT = Duration.ofSeconds(30);
    /** How long it waits for a node the previous fault left down to be back, and every group led. */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    private String replaced;
    /** The groups the replaced node was a member of, with their members then (preferred leader first). */
    private final Map<Integer, List<String>> groups = new TreeMap<>();

    ReplaceNode() {
        super("replace-node", false);
    }

    @Override
    Map<String, Object> start(TestCluster cluster, Random random) throws Exception {
        groups.clear();
        replaced = null;
        // Taking a member out while another is down could leave a group without a majority.
        ClusterView view = cluster.view();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!ready(view) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(200);
            view = cluster.view();
        }
        if (!ready(view)) {
            return Map.of("skipped", "not every node was up and every group led within " + READY_TIMEOUT.toSeconds()
                    + " s: replacing one could lose a majority");
        }
        String node = TestCluster.NODES.get(random.nextInt(TestCluster.NODES.size()));
        for (int g = 0; g < view.groups(); g++) {
            List<String> members = view.leaderOf(g).orElseThrow().status().getMembersList();
            if (members.contains(node)) {
                groups.put(g, List.copyOf(members));
            }
        }
        cluster.killAndWipe(node);
        replaced = node;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("replaced", node);
        out.put("groups", List.copyOf(groups.keySet()));
        List<String> errors = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> group : groups.entrySet()) {
            List<String> without = group.getValue().stream().filter(m -> !m.equals(node)).toList();
            cluster.changeMembers(group.getKey(), without, CHANGE_TIMEOUT)
                    .ifPresent(e -> errors.add("out of group " + group.getKey() + ": " + e));
        }
        if (!errors.isEmpty()) {
            out.put("errors", errors);
        }
        return out;
    }

    private static boolean ready(ClusterView view) {
        return view.everyGroupLed() && view.nodes().stream().allMatch(ClusterView.NodeView::reachable);
    }

    @Override
    void stop(TestCluster cluster) throws Exception {
        if (replaced == null) {
            return;
        }
        String node = replaced;
        replaced = null;
        cluster.startJoining(node);
        List<String> errors = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> group : groups.entrySet()) {
            Optional<String> error = cluster.changeMembers(group.getKey(), group.getValue(), CHANGE_TIMEOUT);
            error.ifPresent(e -> errors.add("back into group " + group.getKey() + ": " + e));
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException(node + " was not added back: " + errors);
        }
    }
}
