package io.dtm.log;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchGateTest {
    private static final long LINGER = 20_000_000;
    private static final long NEVER = Long.MAX_VALUE;
    private final BatchGate gate = new BatchGate(10, 3, LINGER);

    @Test
    void nothingWaitingNothingLeaves() {
        assertThat(gate.mayLeave(0, 0, 0)).isFalse();
        assertThat(gate.nanosUntilDue(0, 0, 0)).as("nothing to wake up for").isEqualTo(NEVER);
    }

    @Test
    void anIdleLogSendsAnUrgentRecordAtOnce() {
        assertThat(gate.mayLeave(1, 0, 0)).as("a Begin on an idle log").isTrue();
    }

    @Test
    void aBackgroundRecordOnAnIdleLogLingersForAnUrgentBatchToRideIn() {
        assertThat(gate.mayLeave(0, 1, 0)).as("an End just decided").isFalse();
        assertThat(gate.nanosUntilDue(0, 1, 0)).isEqualTo(LINGER);
        assertThat(gate.nanosUntilDue(0, 1, LINGER - 5)).isEqualTo(5);
        assertThat(gate.mayLeave(1, 1, 0)).as("the next Begin comes: both leave, in one entry").isTrue();
        assertThat(gate.mayLeave(0, 1, LINGER)).as("no Begin came: it leaves alone").isTrue();
        assertThat(gate.nanosUntilDue(0, 1, LINGER + 7)).as("overdue: due now").isZero();
    }

    @Test
    void urgentRecordsWaitForTheUrgentBatchAheadAndGoWhenItIsAnswered() {
        gate.sent(true);
        assertThat(gate.mayLeave(3, 0, 0)).as("the batch ahead is unanswered: they gather").isFalse();
        assertThat(gate.nanosUntilDue(3, 0, 0)).as("only the answer can let them go").isEqualTo(NEVER);
        gate.answered(true);
        assertThat(gate.mayLeave(3, 0, 0)).as("answered: they go, with no timer").isTrue();
    }

    @Test
    void aBackgroundBatchInFlightNeverHoldsAnUrgentRecordBack() {
        gate.sent(false); // an End that lingered and left alone
        assertThat(gate.mayLeave(1, 0, 0)).as("the next Begin").isTrue();
        assertThat(gate.mayLeave(0, 1, LINGER)).as("another End waits for what is in flight").isFalse();
        assertThat(gate.nanosUntilDue(0, 1, LINGER)).as("until the answer, not a timer").isEqualTo(NEVER);
    }

    @Test
    void backgroundRecordsWaitWhileAnythingIsInFlightUnlessTheyFillABatch() {
        gate.sent(true);
        assertThat(gate.mayLeave(0, 9, LINGER)).isFalse();
        assertThat(gate.mayLeave(0, 10, 0)).as("a full batch, lingered or not").isTrue();
        gate.answered(true);
        assertThat(gate.mayLeave(0, 1, LINGER)).isTrue();
    }

    @Test
    void aFullBatchPipelinesUpToTheBoundAndNoFurther() {
        gate.sent(true);
        assertThat(gate.mayLeave(10, 0, 0)).isTrue();
        assertThat(gate.mayLeave(4, 6, 0)).as("urgent and background together fill it").isTrue();
        gate.sent(true);
        gate.sent(true);
        assertThat(gate.mayLeave(10, 10, LINGER)).as("maxOutstanding batches in flight").isFalse();
        gate.answered(true);
        assertThat(gate.mayLeave(10, 0, 0)).isTrue();
    }

    @Test
    void answeringWhatIsNotInFlightIsABug() {
        assertThatThrownBy(() -> gate.answered(false)).isInstanceOf(IllegalStateException.class);
        gate.sent(false);
        assertThatThrownBy(() -> gate.answered(true)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aNegativeLingerIsRefused() {
        assertThatThrownBy(() -> new BatchGate(10, 3, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
