package io.dtm.log;

import java.util.concurrent.CompletableFuture;

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

    /**
     * This node is about to hand the group's leadership to another member (the group goes back to
     * its preferred leader): stop starting transactions and let those in flight reach their
     * decisions, so the next leader has nothing to abort. The future completes true once that is
     * so (the transfer goes ahead), false when it is not within {@code maxWaitMs} (no transfer;
     * the node goes on leading). New work waits until {@link #handOverEnded}, at most
     * {@code maxHoldMs}. Called off Ratis's threads.
     */
    default CompletableFuture<Boolean> prepareHandOver(long maxWaitMs, long maxHoldMs) {
        return CompletableFuture.completedFuture(true);
    }

    /** The hand-over ended: leadership was {@code transferred} (this node will hear it lost it), or it stays here. */
    default void handOverEnded(boolean transferred) {
    }
}
