package io.dtm.log;

/**
 * Told when this node's role in the log changes. Both calls come on Ratis's threads: return at
 * once and do the work elsewhere.
 */
public interface LeadershipListener {

    /**
     * This node leads in {@code term} and has applied every entry of earlier terms: whatever the
     * log holds in flight is now this node's to finish.
     */
    void leaderReady(long term);

    /** Leadership moved to {@code leaderId} ("" when no leader is known); this node may have lost it. */
    void leaderChanged(String leaderId);
}
