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

    /**
     * This node stopped leading (it stepped down, e.g. cut off from the majority) before any new
     * leader is known: whatever it was coordinating must stop now, not when a successor shows up.
     */
    void leadershipLost();
}
