package io.dtm.log.raft;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LeaderBalanceTest {
    private final LeaderBalance rule = new LeaderBalance(1_000, 500, 5_000);

    @Test
    void aPreferredMemberThatIsBackAndCaughtUpGetsItsGroupBack() {
        assertThat(rule.handBack("n1", "n2", 100, 9_900, 10_000, 6_000)).isTrue();
        assertThat(rule.handBack("n1", "n2", 1_000, 9_500, 10_000, 5_000)).as("at the bounds").isTrue();
    }

    @Test
    void thePreferredLeaderKeepsItsOwnGroup() {
        assertThat(rule.handBack("n2", "n2", 0, 10_000, 10_000, 60_000)).isFalse();
    }

    @Test
    void notToAMemberThatIsSilentUnknownOrFarBehind() {
        assertThat(rule.handBack("n1", "n2", 1_001, 10_000, 10_000, 60_000)).as("silent").isFalse();
        assertThat(rule.handBack("n1", "n2", -1, 10_000, 10_000, 60_000)).as("not a follower here").isFalse();
        assertThat(rule.handBack("n1", "n2", 10, 9_499, 10_000, 60_000)).as("far behind").isFalse();
        assertThat(rule.handBack("n1", "n2", 10, -1, 10_000, 60_000)).as("match index unknown").isFalse();
    }

    @Test
    void notRightAfterThisNodeBecameLeader() {
        assertThat(rule.handBack("n1", "n2", 10, 10_000, 10_000, 4_999)).isFalse();
    }

    @Test
    void aGroupThatWouldNotMoveIsTriedLessOftenUpToTheBound() {
        assertThat(LeaderBalance.retryAfterMs(1, 2_000, 60_000)).isEqualTo(2_000);
        assertThat(LeaderBalance.retryAfterMs(2, 2_000, 60_000)).isEqualTo(4_000);
        assertThat(LeaderBalance.retryAfterMs(5, 2_000, 60_000)).isEqualTo(32_000);
        assertThat(LeaderBalance.retryAfterMs(6, 2_000, 60_000)).isEqualTo(60_000);
        assertThat(LeaderBalance.retryAfterMs(1_000, 2_000, 60_000)).as("no overflow").isEqualTo(60_000);
    }
}
