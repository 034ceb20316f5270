package io.dtm.log;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatchGateTest {
    private final BatchGate gate = new BatchGate(10, 3);

    @Test
    void nothingWaitingNothingLeaves() {
        assertThat(gate.mayLeave(0, 0)).isFalse();
    }

    @Test
    void anIdleLogSendsAtOnce() {
        assertThat(gate.mayLeave(1, 0)).as("a Begin on an idle log").isTrue();
        assertThat(gate.mayLeave(0, 1)).as("an End on an idle log").isTrue();
    }

    @Test
    void urgentRecordsWaitForTheUrgentBatchAheadAndGoWhenItIsAnswered() {
        gate.sent(true);
        assertThat(gate.mayLeave(3, 0)).as("the batch ahead is unanswered: they gather").isFalse();
        gate.answered(true);
        assertThat(gate.mayLeave(3, 0)).as("answered: they go, with no timer").isTrue();
    }

    @Test
    void aBackgroundBatchInFlightNeverHoldsAnUrgentRecordBack() {
        gate.sent(false); // the previous transaction's End
        assertThat(gate.mayLeave(1, 0)).as("the next Begin").isTrue();
        assertThat(gate.mayLeave(0, 1)).as("another End waits for what is in flight").isFalse();
    }

    @Test
    void backgroundRecordsWaitWhileAnythingIsInFlightUnlessTheyFillABatch() {
        gate.sent(true);
        assertThat(gate.mayLeave(0, 9)).isFalse();
        assertThat(gate.mayLeave(0, 10)).as("a full batch").isTrue();
        gate.answered(true);
        assertThat(gate.mayLeave(0, 1)).isTrue();
    }

    @Test
    void aFullBatchPipelinesUpToTheBoundAndNoFurther() {
        gate.sent(true);
        assertThat(gate.mayLeave(10, 0)).isTrue();
        assertThat(gate.mayLeave(4, 6)).as("urgent and background together fill it").isTrue();
        gate.sent(true);
        gate.sent(true);
        assertThat(gate.mayLeave(10, 10)).as("maxOutstanding batches in flight").isFalse();
        gate.answered(true);
        assertThat(gate.mayLeave(10, 0)).isTrue();
    }

    @Test
    void answeringWhatIsNotInFlightIsABug() {
        assertThatThrownBy(() -> gate.answered(false)).isInstanceOf(IllegalStateException.class);
        gate.sent(false);
        assertThatThrownBy(() -> gate.answered(true)).isInstanceOf(IllegalStateException.class);
    }
}
