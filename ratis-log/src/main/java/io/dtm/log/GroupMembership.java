package io.dtm.log;

import io.dtm.log.raft.LogGroups;
import io.dtm.log.raft.RaftNodes;
import io.dtm.log.raft.RaftSettings;
import io.dtm.protocol.rpc.GroupStatus;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Changes of a log group's members, run by the group's leader ({@link TxnLogServer#changeMembers}):
 * the newcomers get an empty copy of the group and catch up, Ratis's configuration change commits
 * the new members (joint consensus), and the members that left drop their copies. One change at a
 * time, on a thread of its own.
 */
final class GroupMembership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMembership.class);

    private final TxnLogServer log;
    private final String nodeId;
    private final RaftServer server;
    private final RaftNodes raftNodes;
    private final ClientId membershipClientId = ClientId.randomId();
    private final AtomicLong membershipCalls = new AtomicLong();
    private final ExecutorService executor;

    GroupMembership(TxnLogServer log) {
        this.log = log;
        this.nodeId = log.nodeId();
        this.server = log.raftServer();
        this.raftNodes = log.raftNodes();
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, nodeId + "-membership");
            t.setDaemon(true);
            return t;
        });
    }

    CompletableFuture<Void> changeAsync(int group, List<RaftPeer> peers) {
        return CompletableFuture.runAsync(() -> {
            try {
                change(group, peers);
            } catch (IOException e) {
                throw new UncheckedIOException(e.getMessage(), e);
            }
        }, executor);
    }

    /**
     * Changes the members of {@code group} to {@code peers} (the first of them its preferred leader)
     * with Ratis's configuration change, on this node, the group's leader: members new to the group
     * catch up from the leader first (they must be running, started with {@link TxnLogServer.Start#JOIN}), then
     * the old and the new configuration are agreed on together (joint consensus), so a majority of
     * both holds every entry throughout. Blocks until the new configuration is committed. Only the
     * leader: it is the node that must take the newcomers' certificates ({@link RaftNodes}) to
     * catch them up; the others take them from the configuration entry.
     *
     * @throws NotLeaderOfGroupException when this node is not the group's leader (it names the leader)
     * @throws IOException when the change fails or times out (nothing changed unless the log says so:
     *         read the members again)
     */
    void change(int group, List<RaftPeer> peers) throws IOException {
        GroupStatus status = log.status(group);
        if (!status.getLeaderReady()) {
            throw new NotLeaderOfGroupException(group, status.getLeaderId());
        }
        List<RaftPeer> current = log.members(group);
        raftNodes.admit(ids(peers), "an admin adds it to log group " + group);
        List<RaftPeer> prioritized = new ArrayList<>();
        for (int i = 0; i < peers.size(); i++) {
            RaftPeer p = peers.get(i);
            prioritized.add(RaftPeer.newBuilder(p).setPriority(i == 0 ? LogGroups.PREFERRED_PRIORITY : 0).build());
        }
        LOG.info("[{}] changing the members of log group {} from {} to {}", nodeId, group, ids(current), ids(prioritized));
        List<String> before = ids(current);
        for (RaftPeer joining : prioritized) {
            if (!before.contains(joining.getId().toString())) {
                giveCopy(group, joining, prioritized);
            }
        }
        RaftClientReply reply = server.setConfiguration(new SetConfigurationRequest(membershipClientId, server.getId(),
                log.groups().group(group).getGroupId(), membershipCalls.incrementAndGet(), prioritized));
        if (!reply.isSuccess()) {
            throw new IOException("log group " + group + " did not take the new members " + ids(prioritized) + ": "
                    + reply.getException(), reply.getException());
        }
        LOG.info("[{}] log group {} now has members {}", nodeId, group, ids(prioritized));
        List<String> staying = ids(prioritized);
        for (RaftPeer leaving : current) {
            if (!staying.contains(leaving.getId().toString())) {
                dropCopy(group, leaving, current);
            }
        }
    }

    /**
     * Makes sure a member new to {@code group} holds a copy to catch up into: a node started with
     * {@link TxnLogServer.Start#JOIN} has one (with no members, waiting); a running node that never held the group,
     * or left it, gets one now, just as empty and waiting. Its log then comes from the leader.
     */
    private void giveCopy(int group, RaftPeer joining, List<RaftPeer> known) throws IOException {
        if (joining.getId().toString().equals(nodeId)) {
            return;
        }
        try (RaftClient client = adminClient(group, known)) {
            RaftClientReply reply = client.getGroupManagementApi(joining.getId())
                    .add(RaftGroup.valueOf(log.groups().group(group).getGroupId()), true);
            if (reply.isSuccess()) {
                LOG.info("[{}] {} holds an empty copy of log group {} now, to catch up into", nodeId, joining.getId(), group);
            }
        } catch (AlreadyExistsException e) {
            LOG.debug("[{}] {} holds log group {} already", nodeId, joining.getId(), group);
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("already exists")) {
                throw new IOException("cannot give " + joining.getId() + " a copy of log group " + group + " to catch up"
                        + " into (is it running?): " + e.getMessage(), e);
            }
        }
    }

    private RaftClient adminClient(int group, List<RaftPeer> peers) {
        return RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(RaftGroup.valueOf(log.groups().group(group).getGroupId(), peers))
                .setProperties(RaftSettings.client(log.config()))
                .setParameters(RaftSettings.parameters(log.config(), nodeId, raftNodes))
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3, RaftSettings.ms(500)))
                .build();
    }

    /**
     * Tells a member taken out of {@code group} to drop its copy of the group (Ratis moves its
     * directory under the node's {@code removed-groups}, nothing is deleted): without that, it would
     * never hear of the configuration that left it out, and would keep asking for votes. Best effort:
     * a member that is down keeps its copy, and its data is moved aside when it is replaced or removed.
     */
    private void dropCopy(int group, RaftPeer leaving, List<RaftPeer> known) {
        try (RaftClient client = adminClient(group, known)) {
            RaftClientReply reply = client.getGroupManagementApi(leaving.getId())
                    .remove(log.groups().group(group).getGroupId(), false, true);
            LOG.info("[{}] {} {} its copy of log group {}", nodeId, leaving.getId(),
                    reply.isSuccess() ? "dropped" : "did not drop (" + reply.getException() + ")", group);
        } catch (IOException | RuntimeException e) {
            LOG.info("[{}] {} keeps its copy of log group {} for now ({}): it is out of the group, and its copy is"
                    + " moved aside when it is replaced or removed", nodeId, leaving.getId(), group, e.toString());
        }
    }

    private static List<String> ids(List<RaftPeer> peers) {
        return peers.stream().map(p -> p.getId().toString()).toList();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
