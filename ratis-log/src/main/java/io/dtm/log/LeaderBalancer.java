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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hands each group this node leads back to its preferred leader once that member is back
 * ({@link LeaderBalance} decides when), with Ratis's leadership transfer: Ratis's own yield to a
 * higher priority never fires under load. One look every {@link #BALANCE_EVERY_MS}, with several
 * groups only.
 *
 * <p>A change of leader aborts every attempt the new leader finds undecided, so the group's
 * coordinator first drains ({@link LeadershipListener#prepareHandOver}): no new transaction starts,
 * those in flight reach their decisions, and only then does the transfer start. A group that does
 * not drain within {@link #DRAIN_MAX_MS}, or whose transfer fails, stays and is tried again later.
 */
final class LeaderBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderBalancer.class);
    /** How often a leader looks whether a group it leads should go back to its preferred leader. */
    static final long BALANCE_EVERY_MS = 2_000;
    /** A returning preferred leader may be this many entries behind the commit index when it gets its group back. */
    static final long BALANCE_MAX_LAG = 256;
    /**
     * How long a leader waits, before handing a group back, for the transactions it runs there to
     * reach their decisions (milliseconds at the rates we run; longer means a participant is slow to
     * vote, and the hand-back waits for a later look).
     */
    static final long DRAIN_MAX_MS = 1_000;
    /** The longest wait between two hand-back tries of a group after failed ones. */
    static final long MAX_RETRY_MS = 60_000;

    private final TxnLogServer log;
    private final String nodeId;
    private final RaftServer server;
    private final LeaderBalance balance;
    private final long transferTimeoutMs;
    private final ClientId balancerId = ClientId.randomId();
    private final AtomicLong balancerCalls = new AtomicLong();
    private final ScheduledExecutorService timer;
    // Only the balancer's thread (timer) reads and writes these.
    private final Set<Integer> handingOver = new HashSet<>();
    private final Map<Integer, Integer> failures = new HashMap<>();
    private final Map<Integer, Long> notBeforeMs = new HashMap<>();

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
        if (log.members(group).isEmpty()) {
            return; // a copy joined empty, waiting for its group's configuration
        }
        String preferred = log.members(group).get(0).getId().toString();
        if (!info.isLeader() || !info.isLeaderReady() || preferred.equals(nodeId)) {
            if (!handingOver.contains(group)) { // a later leadership of the group starts with a clean slate
                failures.remove(group);
                notBeforeMs.remove(group);
            }
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
        long nowMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
        if (handingOver.contains(group) || nowMs < notBeforeMs.getOrDefault(group, Long.MIN_VALUE)) {
            return;
        }
        handingOver.add(group);
        long behind = commitIndex - matchIndex;
        LeadershipListener listener = log.leadershipListener(group).orElse(null);
        CompletableFuture<Boolean> ready = listener == null ? CompletableFuture.completedFuture(true)
                : listener.prepareHandOver(DRAIN_MAX_MS, DRAIN_MAX_MS + transferTimeoutMs + 1_000);
        ready.whenCompleteAsync((drained, error) -> {
            if (error != null || !drained) {
                handOverEnded(group, listener, false, "its transactions in flight did not all reach a decision within "
                        + DRAIN_MAX_MS + " ms" + (error == null ? "" : " (" + error + ")"));
                return;
            }
            LOG.info("[{}] handing log group {} back to its preferred leader {} (it answers, {} entries behind;"
                    + " nothing in flight here is undecided)", nodeId, group, preferred, behind);
            transfer(group, preferred, listener);
        }, timer);
    }

    /** On the balancer's thread: Ratis's leadership transfer of a drained group. */
    private void transfer(int group, String preferred, LeadershipListener listener) {
        try {
            server.transferLeadershipAsync(new TransferLeadershipRequest(balancerId, server.getId(),
                            log.groups().group(group).getGroupId(), balancerCalls.incrementAndGet(),
                            RaftPeerId.valueOf(preferred), transferTimeoutMs))
                    .whenCompleteAsync((reply, failure) -> {
                        boolean moved = failure == null && reply.isSuccess();
                        handOverEnded(group, listener, moved, moved ? "" : "the transfer to " + preferred
                                + " did not complete (" + (failure != null ? failure : reply.getException()) + ")");
                    }, timer);
        } catch (IOException | RuntimeException e) {
            handOverEnded(group, listener, false, "the transfer to " + preferred + " could not start (" + e + ")");
        }
    }

    /** On the balancer's thread: a hand-over of {@code group} ended; one that did not move it is tried again later, less often each time. */
    private void handOverEnded(int group, LeadershipListener listener, boolean moved, String whyNot) {
        handingOver.remove(group);
        if (listener != null) {
            listener.handOverEnded(moved);
        }
        if (moved) {
            failures.remove(group);
            return;
        }
        int failed = failures.merge(group, 1, Integer::sum);
        long retryMs = LeaderBalance.retryAfterMs(failed, BALANCE_EVERY_MS, MAX_RETRY_MS);
        notBeforeMs.put(group, TimeUnit.NANOSECONDS.toMillis(System.nanoTime()) + retryMs);
        LOG.info("[{}] log group {} stays here for now: {}; trying again in {} s", nodeId, group, whyNot,
                retryMs / 1000);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
