package io.dtm.cli.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a change of the cluster's nodes asks of each log group, and whether each group can take it:
 * for every group whose members are not its target members, a change, unless the group has no
 * leader (a change is agreed on by a majority of the old members and of the new) or fewer than a
 * majority of its target members would be up — then the whole plan is refused, naming each group
 * and why, before anything changes. Pure: the caller reads the groups and the nodes that answer.
 *
 * @param changes  the groups to change, in group order
 * @param refusals why a group cannot change, one line each; the plan goes ahead only without any
 */
public record MembershipPlan(List<Change> changes, List<String> refusals) {

    /** A group as its leader reports it: {@code leader} empty when it has none ready; its members, preferred first. */
    public record Group(String leader, List<String> members) {
    }

    /** Group {@code group} goes from {@code from} to {@code to} (its preferred leader first). */
    public record Change(int group, List<String> from, List<String> to) {
        /** Members that join the group. */
        public List<String> joining() {
            return to.stream().filter(id -> !from.contains(id)).toList();
        }

        /** Members that leave it. */
        public List<String> leaving() {
            return from.stream().filter(id -> !to.contains(id)).toList();
        }
    }

    /**
     * @param groups  each group as its leader reports it, by index
     * @param targets each group's members after the change, by index (preferred leader first)
     * @param up      the nodes that answer, and the nodes that will be started to join
     */
    public static MembershipPlan of(Map<Integer, Group> groups, Map<Integer, List<String>> targets, Set<String> up) {
        List<Change> changes = new ArrayList<>();
        List<String> refusals = new ArrayList<>();
        for (Map.Entry<Integer, List<String>> target : targets.entrySet()) {
            int g = target.getKey();
            List<String> to = target.getValue();
            Group group = groups.get(g);
            if (group == null || group.leader().isEmpty()) {
                refusals.add("log group " + g + " has no leader: a change of its members needs one (a majority of"
                        + " its members up). Bring its members back first (./dtm cluster start)");
                continue;
            }
            if (sameMembers(to, group.members())) {
                continue;
            }
            if (to.isEmpty()) {
                refusals.add("log group " + g + " would have no members left");
                continue;
            }
            List<String> upAfter = to.stream().filter(up::contains).toList();
            int needed = to.size() / 2 + 1;
            if (upAfter.size() < needed) {
                refusals.add("log group " + g + " would lose its majority: of its members after the change " + to
                        + ", only " + (upAfter.isEmpty() ? "none" : upAfter) + " would be up, and " + needed
                        + " are needed. Bring members back first, or change fewer nodes at once");
                continue;
            }
            List<String> upBefore = group.members().stream().filter(up::contains).toList();
            if (upBefore.size() < group.members().size() / 2 + 1) {
                refusals.add("log group " + g + " has only " + upBefore + " of its members " + group.members()
                        + " up: its old members must agree on the change too");
                continue;
            }
            changes.add(new Change(g, group.members(), to));
        }
        changes.sort((a, b) -> Integer.compare(a.group(), b.group()));
        return new MembershipPlan(List.copyOf(changes), List.copyOf(refusals));
    }

    /** The same members with the same preferred leader (the others' order means nothing). */
    static boolean sameMembers(List<String> a, List<String> b) {
        return a.size() == b.size() && (a.isEmpty() || a.get(0).equals(b.get(0))) && new HashSet<>(a).equals(new HashSet<>(b));
    }

    /** The nodes that join some group. */
    public Set<String> joining() {
        Set<String> out = new HashSet<>();
        changes.forEach(c -> out.addAll(c.joining()));
        return out;
    }
}
