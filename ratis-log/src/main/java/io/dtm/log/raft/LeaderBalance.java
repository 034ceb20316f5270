package io.dtm.log.raft;

/**
 * When a group's leader hands leadership back to the group's preferred leader (its first member,
 * {@link LogGroups}): the pure rule, no Raft in it.
 *
 * <p>Ratis yields to a peer of higher priority only when its leader has had nothing to do for a
 * whole poll of its event queue, which never happens under load (nor between the clock reports of
 * three nodes in a test cluster); so leadership taken over while a node was down stayed where it
 * went, and one node ended up leading every group. The leader therefore hands a group back itself,
 * with Ratis's leadership transfer, once the preferred member is back: it has answered recently
 * and its log is close behind (a transfer holds new entries until the transferee has them all, so a
 * far-behind member would stall the group), and this leader has led for a while (no flapping just
 * after an election).
 *
 * @param maxSilenceMs the preferred member answered the leader at most this long ago
 * @param maxLag       its log is at most this many entries behind the leader's commit index
 * @param minLeadMs    this node has led the group at least this long
 */
public record LeaderBalance(long maxSilenceMs, long maxLag, long minLeadMs) {

    /**
     * Whether to hand the group back now.
     *
     * @param self          this node, the group's leader
     * @param preferred     the group's preferred leader
     * @param silenceMs     since the preferred member last answered this leader (negative: not a follower here)
     * @param matchIndex    the preferred member's match index as this leader knows it
     * @param commitIndex   this leader's commit index
     * @param ledForMs      how long this node has led the group
     */
    /**
     * How long to wait before the next try after {@code failures} hand-backs of a group in a row did
     * not move it: {@code everyMs}, doubling with each failure, at most {@code maxMs}. Each try holds
     * the group's new transactions for a moment, so a group that will not drain is tried less often.
     */
    public static long retryAfterMs(int failures, long everyMs, long maxMs) {
        long wait = everyMs;
        for (int i = 1; i < failures && wait < maxMs; i++) {
            wait *= 2;
        }
        return Math.min(wait, maxMs);
    }

    public boolean handBack(String self, String preferred, long silenceMs, long matchIndex, long commitIndex,
            long ledForMs) {
        return !self.equals(preferred)
                && silenceMs >= 0 && silenceMs <= maxSilenceMs
                && matchIndex >= 0 && commitIndex - matchIndex <= maxLag
                && ledForMs >= minLeadMs;
    }
}
