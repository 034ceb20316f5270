package io.dtm.log;

import io.dtm.config.TimeoutsConfig;
import io.dtm.log.raft.LeaderBalance;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands each group this node leads back to its preferred leader once that member is back
 * ({@link LeaderBalance} decides when), with Ratis's leadership transfer: Ratis's own yield to a
 * higher priority never fires under load. One look every {@link #BALANCE_EVERY_MS}, with several
 * groups only.
 */
final class LeaderBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);
    /** How often a leader looks whether a group it leads should go back to its preferred leader. */
    static final long BALANCE_EVERY_MS = 2_000;
    /** A returning preferred leader may be this many entries behind the commit index when it gets its group back. */
    static final long BALANCE_MAX_LAG = 256;

    private final TxnLogServer log;
    private final String nodeId;
    private final RaftServer server;
    private final LeaderBalance balance;
    private final long transferTimeoutMs;
    private final ClientId balancerId = ClientId.randomId();
    private final AtomicLong balancerCalls = new AtomicLong();
    private final ScheduledExecutorService timer;

    LeaderBalancer(TxnLogServer log, TimeoutsConfig timeouts) {
        this.log = log;
        this.nodeId = log.nodeId();
        this.server = log.raftServer();
        this.balance = new LeaderBalance(timeouts.electionMinMs(), BALANCE_MAX_LAG,
                Math.max(5_000, 3 * timeouts.electionMaxMs()));
        this.transferTimeoutMs = 2 * timeouts.electionMaxMs();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, nodeId + "-leader-balance");
            t.setDaemon(true);
            return t;
        });
        if (log.groups().size() > 1) {
            timer.scheduleWithFixedDelay(this::balance, BALANCE_EVERY_MS, BALANCE_EVERY_MS, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * For each group this node leads but is not the preferred leader of: hands it back with Ratis's
     * leadership transfer when {@link LeaderBalance} says the preferred member is back.
     */
    private void balance() {
        for (int g : log.hostedGroups()) {
            try {
                balance(g);
            } catch (IOException | RuntimeException e) {
                LOG.warn("[{}] could not look at the leadership of log group {}: {}", nodeId, g, e.toString());
            }
        }
    }

    private void balance(int group) throws IOException {
        RaftServer.Division division = log.division(group);
        DivisionInfo info = division.getInfo();
        String preferred = log.members(group).get(0).getId().toString();
        if (!info.isLeader() || !info.isLeaderReady() || preferred.equals(nodeId)) {
            return;
        }
        RoleInfoProto role = info.getRoleInfoProto();
        List<ServerRpcProto> followers = role.getLeaderInfo().getFollowerInfoList();
        long[] matchIndices = info.getFollowerMatchIndices();
        long silenceMs = -1;
        long matchIndex = -1;
        if (followers.size() == matchIndices.length) { // both in the order of the leader's log appenders
            for (int i = 0; i < followers.size(); i++) {
                if (followers.get(i).getId().getId().toStringUtf8().equals(preferred)) {
                    silenceMs = followers.get(i).getLastRpcElapsedTimeMs();
                    matchIndex = matchIndices[i];
                }
            }
        }
        long commitIndex = division.getRaftLog().getLastCommittedIndex();
        if (!balance.handBack(nodeId, preferred, silenceMs, matchIndex, commitIndex, role.getRoleElapsedTimeMs())) {
            return;
        }
        LOG.info("[{}] handing log group {} back to its preferred leader {} (it answers, {} entries behind)", nodeId,
                group, preferred, commitIndex - matchIndex);
        server.transferLeadershipAsync(new TransferLeadershipRequest(balancerId, server.getId(),
                        log.groups().group(group).getGroupId(), balancerCalls.incrementAndGet(), RaftPeerId.valueOf(preferred),
                        transferTimeoutMs))
                .whenComplete((reply, error) -> {
                    if (error != null || !reply.isSuccess()) {
                        LOG.info("[{}] log group {} stays here for now: the transfer to {} did not complete ({})", nodeId,
                                group, preferred, error != null ? error.toString() : reply.getException());
                    }
                });
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
