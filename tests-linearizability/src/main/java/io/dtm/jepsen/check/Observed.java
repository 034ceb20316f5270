package io.dtm.jepsen.check;

import io.dtm.config.ServiceName;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the harness read from the cluster after the final heal and the recovery period: the
 * checkers compare it with the history.
 *
 * @param logs          per coordinator node, every attempt id in its own replica of the log with its
 *                      outcome ({@code COMMIT}, {@code ABORT} or {@code UNDECIDED}); a node that could
 *                      not be read is absent
 * @param participants  per service, every attempt id in its durable store with its local state
 *                      ({@code PREPARED}, {@code VOTED_NO}, {@code COMMITTED}, {@code ROLLED_BACK});
 *                      a service that could not be read is absent (every one of {@link #SERVICES} is read)
 * @param totalsBefore  the services' totals ({@code service.total}) before the test
 * @param totalsAfter   the same after it
 */
public record Observed(Map<String, Map<String, String>> logs, Map<String, Map<String, String>> participants,
        Map<String, Long> totalsBefore, Map<String, Long> totalsAfter) {
    public static final String COMMIT = "COMMIT";
    public static final String ABORT = "ABORT";
    public static final String COMMITTED = "COMMITTED";
    public static final String PREPARED = "PREPARED";
    /** Every service of a cluster: the harness reads them all. */
    public static final List<String> SERVICES = Arrays.stream(ServiceName.values()).map(ServiceName::id).toList();

    /** The services that could not be read: what they hold is unknown, and so is what depends on it. */
    public Set<String> unreadServices() {
        Set<String> unread = new TreeSet<>(SERVICES);
        unread.removeAll(participants.keySet());
        return unread;
    }
}
