package io.dtm.log;

import io.dtm.log.raft.LocalProposal;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands entries straight to the Raft server in this process: the coordinator runs on the Raft
 * leader, so its log appends need no client. A Raft client would send them over gRPC to this same
 * process: serialized, framed, through loopback sockets and back, with thread hand-offs on both
 * sides, for every entry.
 *
 * <p>What a Raft client adds is not needed here. Redirects: an appender belongs to one term of
 * this node's leadership; if the node is no longer leader, the reply says so and the coordinator
 * steps down. Order between entries in flight (Ratis's server may append two entries submitted
 * together in either order): a record that must follow another is appended only once the other's
 * result is in (a Decide COMMIT after its Begin, an End after its Decide, a successor's Begin
 * before its predecessor's ABORT); a Decide ABORT that overtakes its own Begin is what the log
 * already handles for a participant's early ABORT (the attempt ends at once, and the Begin finds
 * it ended). What a client does that the server relies on is kept: each request has a call id of
 * one client id, and the ids already answered ride on the next request, so the server's retry
 * cache forgets them instead of holding every reply for its expiry time.
 */
final class LocalEntrySender implements RecordBatcher.EntrySender {
    private final RaftServer server;
    private final RaftGroupId groupId;
    private final ClientId clientId = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final Queue<Long> replied = new ConcurrentLinkedQueue<>();

    LocalEntrySender(RaftServer server, RaftGroupId groupId) {
        this.server = server;
        this.groupId = groupId;
    }

    @Override
    public CompletableFuture<RaftClientReply> send(Message entry) {
        long callId = callIds.incrementAndGet();
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(clientId)
                .setServerId(server.getId())
                .setGroupId(groupId)
                .setCallId(callId)
                .setRepliedCallIds(drainReplied())
                // In-process, so the leader admits its records (AppendAdmission).
                .setMessage(new LocalProposal(entry.getContent()))
                .setType(RaftClientRequest.writeRequestType())
                .build();
        CompletableFuture<RaftClientReply> reply;
        try {
            reply = server.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return reply.whenComplete((r, error) -> replied.add(callId));
    }

    private List<Long> drainReplied() {
        List<Long> ids = new ArrayList<>();
        for (Long id; (id = replied.poll()) != null; ) {
            ids.add(id);
        }
        return ids;
    }
}
