package io.dtm.log;

import java.io.IOException;

/** Raised by {@link TxnLogServer#changeMembers} on a node that is not the group's leader. */
public final class NotLeaderOfGroupException extends IOException {
    private final String leaderId;

    NotLeaderOfGroupException(int group, String leaderId) {
        super("not the leader of log group " + group + (leaderId.isEmpty() ? " (it has none yet)"
                : "; its leader is " + leaderId) + ": a change of members goes to the leader");
        this.leaderId = leaderId;
    }

    /** The group's leader as this node knows it; empty when none. */
    public String leaderId() {
        return leaderId;
    }
}
