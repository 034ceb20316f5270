package io.dtm.coordinator.core;

import io.dtm.protocol.rpc.SubmitRequest;
import org.junit.jupiter.api.Test;

import static io.dtm.coordinator.core.CoreHarness.order;
import static org.assertj.core.api.Assertions.assertThat;

/** The request digest: what makes two submissions of a tid "the same request". */
class TxnRequestTest {

    @Test
    void theDigestOfARequestNeverChangesBetweenReleases() {
        // Digests are stored in the log (Begin) and by the participants (their PREPAREs): a release
        // that computed another one would take a resubmission made across an upgrade for another request.
        assertThat(TxnRequest.digest(order("t-1"))).isEqualTo(7_709_643_926_102_576_165L);
    }

    @Test
    void theDigestCoversEveryServicesDataButNotTheTidOrThePacing() {
        SubmitRequest request = order("t-1");
        SubmitRequest paced = request.toBuilder().setTid("t-2").setTimeoutMs(5_000).setMaxAttempts(2).build();
        SubmitRequest otherAmount = request.toBuilder()
                .setPayment(request.getPayment().toBuilder().setAmountCents(2501)).build();

        assertThat(TxnRequest.digest(paced)).isEqualTo(TxnRequest.digest(request));
        assertThat(TxnRequest.digest(otherAmount)).isNotEqualTo(TxnRequest.digest(request));
    }
}
