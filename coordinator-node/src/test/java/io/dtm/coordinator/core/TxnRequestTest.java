package io.dtm.coordinator.core;

import io.dtm.protocol.Sha256;
import io.dtm.protocol.rpc.SubmitRequest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;

import static io.dtm.coordinator.core.CoreHarness.order;
import static org.assertj.core.api.Assertions.assertThat;

/** The request digest: what makes two submissions of a tid "the same request", and why it tells nothing else. */
class TxnRequestTest {

    @Test
    void theDigestOfARequestUnderAKeyNeverChangesBetweenReleases() {
        // Digests are stored in the log (Begin) and by the participants (their PREPAREs): a release
        // that computed another one would take a resubmission made across an upgrade for another request.
        assertThat(TxnRequest.digest(order("t-1"), TestDigest.KEYED)).isEqualTo(4_863_112_822_181_292_610L);
    }

    @Test
    void theDigestCoversEveryServicesDataButNotTheTidOrThePacing() {
        SubmitRequest request = order("t-1");
        SubmitRequest paced = request.toBuilder().setTid("t-2").setTimeoutMs(5_000).setMaxAttempts(2).build();
        SubmitRequest otherAmount = request.toBuilder()
                .setPayment(request.getPayment().toBuilder().setAmountCents(2501)).build();
        SubmitRequest otherCard = request.toBuilder()
                .setPayment(request.getPayment().toBuilder().setCard("4000 0000 0000 0010")).build();

        assertThat(digest(paced)).isEqualTo(digest(request));
        assertThat(digest(otherAmount)).isNotEqualTo(digest(request));
        assertThat(digest(otherCard)).isNotEqualTo(digest(request));
    }

    @Test
    void theDigestIsKeyedSoWhoeverReadsItCannotTestCardNumbersAgainstIt() {
        // Unkeyed (SHA-256 of the request), a digest from TXN_STATUS or LOG_DUMP plus the last four
        // digits let anyone recover the card by hashing about 10^7 candidates. Keyed, the same request
        // under another key gives an unrelated digest, and neither is the plain hash.
        SubmitRequest request = order("t-1");
        byte[] otherKey = new byte[32];
        Arrays.fill(otherKey, (byte) 7);
        long keyed = digest(request);

        assertThat(TxnRequest.digest(request, RequestDigest.withKey(otherKey))).isNotEqualTo(keyed);
        byte[] plain = request.toBuilder().clearTid().clearTimeoutMs().clearMaxAttempts().build().toByteArray();
        assertThat(ByteBuffer.wrap(Sha256.of(plain)).getLong()).isNotEqualTo(keyed);
    }

    @Test
    void aDigestNeverShowsItsKey() {
        byte[] key = new byte[32];
        Arrays.fill(key, (byte) 0xab);
        RequestDigest digest = RequestDigest.withKey(key);

        assertThat(digest.toString()).doesNotContainIgnoringCase("abab").contains(digest.fingerprint());
        assertThat(digest.fingerprint()).isNotEqualTo(TestDigest.KEYED.fingerprint());
        assertThat(RequestDigest.withKey(key)).isEqualTo(digest);
    }

    private static long digest(SubmitRequest request) {
        return TxnRequest.digest(request, TestDigest.KEYED);
    }
}
