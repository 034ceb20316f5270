package io.dtm.log.raft;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * An entry handed to the Raft server by code in its own process (the leader's coordinator and
 * in-doubt resolver, through their term's appender). Ratis passes the request object it was given
 * on to {@link TxnStateMachine#startTransaction}, so the type itself says where the entry came
 * from: a request that arrived over the network was decoded into Ratis's own message type, and no
 * bytes on a wire can make one of these.
 */
public final class LocalProposal implements Message {
    private final ByteString content;

    public LocalProposal(ByteString content) {
        this.content = content;
    }

    @Override
    public ByteString getContent() {
        return content;
    }

    @Override
    public String toString() {
        return "LocalProposal(" + content.size() + " bytes)";
    }
}
