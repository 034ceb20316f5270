package io.dtm.cli.submit;

import io.dtm.protocol.ErrorCode;
import io.dtm.protocol.RemoteException;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

/** How the pipeline names outcomes and errors, without a cluster. */
class SubmitPipelineTest {
    @Test
    void aRequestTheClusterRefusedIsRejectedAnythingElseIsUnknown() {
        RemoteException tooLarge = new RemoteException(ErrorCode.FRAME_TOO_LARGE.toProto("frame of 5000000 bytes"), "n1");
        SubmitResult rejected = SubmitPipeline.failed("t-1", new CompletionException(tooLarge));
        assertThat(rejected.getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(rejected.getReason()).contains("frame of 5000000 bytes");

        SubmitResult unknown = SubmitPipeline.failed("t-2", new CompletionException(new IOException("connection reset")));
        assertThat(unknown.getStatus()).isEqualTo(SubmitResult.Status.UNKNOWN);
        assertThat(unknown.getTid()).isEqualTo("t-2");
        assertThat(unknown.getReason()).isEqualTo("connection reset");
    }

    @Test
    void outcomesAreCountedByServiceAndCodeWhenAServiceRefused() {
        assertThat(SubmitPipeline.kind(result(SubmitResult.Status.COMMITTED, ""))).isEqualTo("COMMITTED");
        assertThat(SubmitPipeline.kind(result(SubmitResult.Status.ABORTED,
                "payment: CARD_DECLINED: card ending 0002 declined by issuer"))).isEqualTo("ABORTED payment: CARD_DECLINED");
        assertThat(SubmitPipeline.kind(result(SubmitResult.Status.ABORTED, "coordinator failover before decision")))
                .isEqualTo("ABORTED coordinator failover before decision");
        assertThat(SubmitPipeline.kind(result(SubmitResult.Status.REJECTED, "tid \"a b\" has characters outside [A-Za-z0-9._:-]")))
                .isEqualTo("REJECTED tid \"a b\" has characters outside [A-Za-z0-9._:-]");
    }

    @Test
    void overloadedOutcomesAreOneKindWhateverCountsTheLeaderGave() {
        assertThat(SubmitPipeline.kind(result(SubmitResult.Status.OVERLOADED,
                "overloaded: 4096 transactions waiting for their outcome (at most 4096); retry later"))).isEqualTo("OVERLOADED");
        assertThat(SubmitPipeline.kind(result(SubmitResult.Status.OVERLOADED,
                "overloaded: payment has not acknowledged the outcome of 4100 decided transactions; retry later")))
                .isEqualTo("OVERLOADED");
    }

    private static SubmitResult result(SubmitResult.Status status, String reason) {
        return SubmitResult.newBuilder().setTid("t").setStatus(status).setReason(reason).build();
    }
}
