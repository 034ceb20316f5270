package io.dtm.log.raft;

import io.dtm.log.state.TxnLogState;
import io.dtm.protocol.log.Begin;
import io.dtm.protocol.log.RecordBatch;
import io.dtm.protocol.log.TxnRecord;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica applies every entry right after the one before (the invariant behind "every replica
 * holds the same transactions"); one applied out of that order is counted, so the node can say so.
 */
class ApplyOrderTest {
    private final TxnStateMachine machine = new TxnStateMachine(new TxnLogState.Retention(100, 60_000), List.of("n1"));

    @Test
    void entriesAppliedInLogOrderCountNothing() {
        machine.notifyTermIndexUpdated(1, 0); // Ratis's own first entry (a configuration)
        apply(1, 1, "t1#1");
        apply(1, 2, "t2#1");
        machine.notifyTermIndexUpdated(2, 3); // a new leader's configuration entry
        apply(2, 4, "t3#1");

        assertThat(machine.outOfOrderApplies()).isZero();
        assertThat(machine.inFlightTransactions()).hasSize(3);
    }

    @Test
    void anEntrySkippedIsCountedAndTheNextStillApplied() {
        machine.notifyTermIndexUpdated(1, 0);
        apply(1, 1, "t1#1");
        apply(1, 3, "t3#1"); // index 2 never applied here
        assertThat(machine.outOfOrderApplies()).isEqualTo(1);

        machine.notifyTermIndexUpdated(2, 5); // index 4 skipped too, before a configuration entry
        assertThat(machine.outOfOrderApplies()).isEqualTo(1); // (only entries of the state machine are checked)
        apply(2, 6, "t6#1");
        assertThat(machine.outOfOrderApplies()).isEqualTo(1);
        apply(2, 8, "t8#1");
        assertThat(machine.outOfOrderApplies()).isEqualTo(2);
        // Still applied, as every replica would: the count says the table may be wrong; it drops nothing.
        assertThat(machine.inFlightTransactions()).hasSize(4);
    }

    private void apply(long term, long index, String attemptId) {
        RecordBatch batch = RecordBatch.newBuilder().setNodeId("n1").setTimestampMs(1_000).setProposerTerm(term)
                .addRecords(TxnRecord.newBuilder().setBegin(Begin.newBuilder().setAttemptId(attemptId)
                        .addParticipants("inventory").setDeadlineMs(60_000)))
                .build();
        LogEntryProto entry = LogEntryProto.newBuilder().setTerm(term).setIndex(index)
                .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder()
                        .setLogData(ByteString.copyFrom(batch.toByteArray())))
                .build();
        TransactionContext trx = TransactionContext.newBuilder().setStateMachine(machine)
                .setServerRole(RaftPeerRole.FOLLOWER).setLogEntry(entry).build();
        machine.applyTransaction(trx).join();
    }
}
