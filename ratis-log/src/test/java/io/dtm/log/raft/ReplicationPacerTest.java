package io.dtm.log.raft;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The adaptive replication wait: times in nanoseconds, from a fake clock. */
class ReplicationPacerTest {
    private static final long MS = 1_000_000;
    private final ReplicationPacer pacer = new ReplicationPacer(1 * MS, 5 * MS);

    @Test
    void entriesForAnIdleLinkWaitOnlyTheIdleIntervalAfterTheLastSend() {
        long lastSend = 100 * MS;
        assertThat(pacer.remainingNanos(lastSend + 300_000, true, false, lastSend)).isEqualTo(700_000);
        assertThat(pacer.remainingNanos(lastSend + 1 * MS, true, false, lastSend)).isZero();
        // Long after the last send: at once.
        pacer.sent();
        assertThat(pacer.remainingNanos(lastSend + 50 * MS, true, false, lastSend)).isNegative();
    }

    @Test
    void entriesForABusyLinkWaitTheBusyIntervalEvenIfTheAnswerComesMeanwhile() {
        long lastSend = 100 * MS;
        assertThat(pacer.remainingNanos(lastSend + 1 * MS, true, true, lastSend)).isEqualTo(4 * MS);
        // The earlier append is answered at 2 ms: the entries still wait, gathering more.
        assertThat(pacer.remainingNanos(lastSend + 2 * MS, true, false, lastSend)).isEqualTo(3 * MS);
        assertThat(pacer.remainingNanos(lastSend + 5 * MS, true, false, lastSend)).isZero();
    }

    @Test
    void theNextEntriesDecideAfreshOnceTheWaitingOnesAreSent() {
        long firstSend = 100 * MS;
        assertThat(pacer.remainingNanos(firstSend + 1 * MS, true, true, firstSend)).isEqualTo(4 * MS);
        pacer.sent();
        long secondSend = firstSend + 5 * MS;
        // Nothing unanswered now: the idle interval, counted from the second send.
        assertThat(pacer.remainingNanos(secondSend + 200_000, true, false, secondSend)).isEqualTo(800_000);
    }

    @Test
    void nothingToSendForgetsTheDecision() {
        long lastSend = 100 * MS;
        assertThat(pacer.remainingNanos(lastSend + 1 * MS, true, true, lastSend)).isEqualTo(4 * MS);
        // The entries went another way (a heartbeat's reply moved the follower's index): nothing waits.
        assertThat(pacer.remainingNanos(lastSend + 2 * MS, false, true, lastSend)).isZero();
        assertThat(pacer.remainingNanos(lastSend + 3 * MS, true, false, lastSend)).isEqualTo(-2 * MS);
    }

    @Test
    void aBusyIntervalShorterThanTheIdleOneIsRefused() {
        assertThatThrownBy(() -> new ReplicationPacer(5 * MS, 1 * MS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idle");
    }

    @Test
    void withNoBusyIntervalEntriesGoAtOnceOrAtTheAnswerNeverOnATimer() {
        ReplicationPacer answered = new ReplicationPacer(0, 0);
        long lastSend = 100 * MS;
        assertThat(answered.remainingNanos(lastSend + 10_000, true, false, lastSend)).as("idle link: at once").isZero();
        assertThat(answered.remainingNanos(lastSend + 10_000, true, true, lastSend))
                .as("busy link: until the answer").isEqualTo(ReplicationPacer.UNTIL_ANSWERED);
        assertThat(answered.remainingNanos(lastSend + 50 * MS, true, true, lastSend))
                .as("however long it takes: no timer sends it").isEqualTo(ReplicationPacer.UNTIL_ANSWERED);
        assertThat(answered.remainingNanos(lastSend + 50 * MS + 1, true, false, lastSend)).as("answered: at once").isZero();
    }
}
