package io.dtm.log.raft;

import io.dtm.protocol.log.LogRecords;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordBatch;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AppendAdmissionTest {
    private static final RecordBatch.Builder DECIDE = RecordBatch.newBuilder()
            .addRecords(LogRecords.decide("t#1", Outcome.COMMIT, "", "coordinator:n1"));

    @Test
    void recordsComeOnlyFromTheLeadersOwnAppenderWithATerm() {
        assertThat(AppendAdmission.refusal(DECIDE.clone().setProposerTerm(3).build(), true)).isEmpty();
        assertThat(AppendAdmission.refusal(DECIDE.clone().setProposerTerm(3).build(), false))
                .hasValueSatisfying(why -> assertThat(why).contains("only from the leader's own").contains("sent 1"));
        assertThat(AppendAdmission.refusal(DECIDE.clone().setProposerTerm(0).build(), true))
                .hasValueSatisfying(why -> assertThat(why).contains("without a proposer term"));
        assertThat(AppendAdmission.refusal(DECIDE.clone().setProposerTerm(-1).build(), true)).isPresent();
    }

    @Test
    void clockReportsAndProbesComeFromAnyRaftClient() {
        assertThat(AppendAdmission.refusal(RecordBatch.newBuilder().setNodeId("n2").setTimestampMs(1).build(), false))
                .isEmpty();
        assertThat(AppendAdmission.refusal(RecordBatch.newBuilder().setProbe(true)
                .addAllRecords(List.of(LogRecords.begin("p#1", List.of("order"), 1))).build(), false)).isEmpty();
    }
}
