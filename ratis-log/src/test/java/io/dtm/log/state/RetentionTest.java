package io.dtm.log.state;

import io.dtm.protocol.log.TxnStatus;
import org.junit.jupiter.api.Test;

import static io.dtm.log.state.TxnLogStateTest.FOUR;
import static io.dtm.log.state.TxnLogStateTest.ONE_NODE;
import static io.dtm.log.state.TxnLogStateTest.batch;
import static io.dtm.log.state.TxnLogStateTest.commit;
import static io.dtm.protocol.log.LogRecords.begin;
import static io.dtm.protocol.log.LogRecords.end;
import static org.assertj.core.api.Assertions.assertThat;

/** Retention: at most maxOutcomes outcomes, none older than maxAgeMs of log time, never one in flight. */
class RetentionTest {
    private final TxnLogState small = new TxnLogState(new TxnLogState.Retention(3, 10_000), ONE_NODE);

    private void finish(String tid, long atMs) {
        small.apply(batch(atMs)
                .addRecords(begin(tid, FOUR, atMs + 1_000))
                .addRecords(commit(tid))
                .addRecords(end(tid))
                .build(), 1);
    }

    @Test
    void keepsAtMostMaxOutcomesDroppingTheOldestEnded() {
        for (int i = 1; i <= 5; i++) {
            finish("t" + i, i);
        }
        assertThat(small.retainedCount()).isEqualTo(3);
        assertThat(small.query("t1").getStatus()).as("the outcome is dropped, the id remembered")
                .isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(small.query("t2").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(small.query("t5").getStatus()).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void forgetsOutcomesOlderThanMaxAgeInLogTime() {
        finish("old", 1_000);
        finish("young", 9_000);
        finish("now", 12_000);

        assertThat(small.query("old").getStatus()).isEqualTo(TxnStatus.FORGOTTEN);
        assertThat(small.query("young").getStatus()).isEqualTo(TxnStatus.ENDED);
    }

    @Test
    void neverForgetsATransactionInFlight() {
        small.apply(batch(0)
                .addRecords(begin("pending", FOUR, 1_000))
                .addRecords(begin("decided", FOUR, 1_000))
                .addRecords(commit("decided"))
                .build(), 1);
        for (int i = 0; i < 10; i++) {
            finish("t" + i, 100_000L * (i + 1));
        }
        assertThat(small.query("pending").getStatus()).isEqualTo(TxnStatus.IN_FLIGHT);
        assertThat(small.query("decided").getStatus()).isEqualTo(TxnStatus.DECIDED);
    }

    @Test
    void logTimeNeverRunsBackwards() {
        finish("a", 50_000);
        finish("b", 1_000); // a batch stamped by a proposer whose clock lags
        assertThat(small.clockMs()).isEqualTo(50_000);
        assertThat(small.query("b").getStatus()).as("ended at log time 50000, not 1000").isEqualTo(TxnStatus.ENDED);
    }
}
