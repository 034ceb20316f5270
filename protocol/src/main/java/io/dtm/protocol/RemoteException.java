package io.dtm.protocol;

/** A node answered with an error: the typed code and the node's own message. */
public final class RemoteException extends RuntimeException {
    private final ErrorCode code;
    private final String leaderId;
    private final String leaderAddress;

    public RemoteException(io.dtm.protocol.rpc.Error error, String from) {
        super(from + ": " + ErrorCode.of(error) + ": " + error.getMessage());
        this.code = ErrorCode.of(error);
        this.leaderId = error.getLeaderId();
        this.leaderAddress = error.getLeaderAddress();
    }

    public ErrorCode code() {
        return code;
    }

    /** For {@link ErrorCode#NOT_LEADER}: the leader's node id, or empty when unknown. */
    public String leaderId() {
        return leaderId;
    }

    /** For {@link ErrorCode#NOT_LEADER}: the leader's client address, or empty when unknown. */
    public String leaderAddress() {
        return leaderAddress;
    }
}
