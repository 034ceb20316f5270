package io.dtm.bench;

import java.util.Objects;
import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * A resource manager that does no work and always votes yes, but checks the order of the calls it
 * gets and counts them in a {@link ResourceLedger}.
 *
 * <p>One instance serves one transaction branch. {@link #isSameRM} is always false, so every
 * instance is a separate resource manager: with several enlisted, the transaction manager cannot
 * join their branches or commit in one phase, and must prepare each, write its log record, then
 * commit each. A one-phase commit, or a commit without a prepare, is refused with
 * {@link XAException#XAER_PROTO} and counted as a violation, which fails the transaction.
 */
final class NoOpXaResource implements XAResource {

    /** Where this branch stands. */
    enum Phase { IDLE, ACTIVE, ENDED, PREPARED, COMMITTED, ROLLED_BACK }

    private final ResourceLedger ledger;
    private Phase phase = Phase.IDLE;
    private Xid branch;

    NoOpXaResource(ResourceLedger ledger) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    /** Where this branch stands now. */
    synchronized Phase phase() {
        return phase;
    }

    @Override
    public synchronized void start(Xid xid, int flags) throws XAException {
        if (phase != Phase.IDLE && flags != TMJOIN && flags != TMRESUME) {
            throw refuse("start of " + xid + " with flags " + flags + " in phase " + phase);
        }
        branch = xid;
        phase = Phase.ACTIVE;
    }

    @Override
    public synchronized void end(Xid xid, int flags) throws XAException {
        requireBranch(xid, "end");
        if (phase != Phase.ACTIVE && phase != Phase.ENDED) {
            throw refuse("end in phase " + phase);
        }
        phase = Phase.ENDED;
    }

    @Override
    public synchronized int prepare(Xid xid) throws XAException {
        requireBranch(xid, "prepare");
        if (phase != Phase.ENDED) {
            throw refuse("prepare in phase " + phase);
        }
        phase = Phase.PREPARED;
        ledger.prepared();
        return XA_OK;
    }

    @Override
    public synchronized void commit(Xid xid, boolean onePhase) throws XAException {
        requireBranch(xid, "commit");
        if (onePhase) {
            throw refuse("one-phase commit: the transaction manager skipped the prepare phase");
        }
        if (phase != Phase.PREPARED) {
            throw refuse("commit in phase " + phase + ", not after a prepare");
        }
        phase = Phase.COMMITTED;
        ledger.committed();
    }

    @Override
    public synchronized void rollback(Xid xid) throws XAException {
        requireBranch(xid, "rollback");
        phase = Phase.ROLLED_BACK;
        ledger.rolledBack();
    }

    @Override
    public void forget(Xid xid) {
        // Never heuristic, so there is nothing to forget.
    }

    @Override
    public Xid[] recover(int flag) {
        // Nothing is ever kept: no branch can be in doubt.
        return new Xid[0];
    }

    @Override
    public boolean isSameRM(XAResource other) {
        return false;
    }

    @Override
    public int getTransactionTimeout() {
        return 0;
    }

    @Override
    public boolean setTransactionTimeout(int seconds) {
        return false;
    }

    private void requireBranch(Xid xid, String call) throws XAException {
        if (branch == null || !branch.equals(xid)) {
            throw refuse(call + " of " + xid + ", but this resource's branch is " + branch);
        }
    }

    private XAException refuse(String why) {
        ledger.violation();
        XAException e = new XAException("no-op resource: " + why);
        e.errorCode = XAException.XAER_PROTO;
        return e;
    }
}
