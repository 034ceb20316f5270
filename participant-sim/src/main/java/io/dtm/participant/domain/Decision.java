package io.dtm.participant.domain;

import io.dtm.participant.store.Hold;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;

/**
 * A service's answer to a PREPARE: a YES vote with what the transaction now holds, or a NO vote
 * (nothing held, nothing changed).
 */
public record Decision(Vote vote, Hold hold) {

    public static Decision yes(Hold hold) {
        return new Decision(Vote.newBuilder().setYes(true).setCode(VoteCode.YES).build(), hold);
    }

    public static Decision no(VoteCode code, String message) {
        return new Decision(Vote.newBuilder().setYes(false).setCode(code).setMessage(message).build(), null);
    }

    /** NO because the request expected another version of {@code record}. */
    public static Decision stale(String record, long expected, long current) {
        return new Decision(Vote.newBuilder().setYes(false).setCode(VoteCode.STALE_VERSION)
                .setMessage(record + ": expected version " + expected + ", current version " + current)
                .setRecord(record).setCurrentVersion(current).build(), null);
    }

    /** NO because another prepared transaction holds {@code record}. */
    public static Decision locked(String record, String holder) {
        return new Decision(Vote.newBuilder().setYes(false).setCode(VoteCode.LOCKED)
                .setMessage(record + " is held by prepared transaction " + holder).setRecord(record).build(), null);
    }

    public boolean isYes() {
        return vote.getYes();
    }
}
