package io.dtm.cli.cluster;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** When a change of members goes ahead for a group, and why it is refused. */
class MembershipPlanTest {
    private static final Map<Integer, MembershipPlan.Group> LED = Map.of(
            0, new MembershipPlan.Group("n1", List.of("n1", "n2", "n3")),
            1, new MembershipPlan.Group("n2", List.of("n2", "n1", "n3")));

    @Test
    void aDeadMembersReplacementGoesAheadWhenTheOthersAreUp() {
        MembershipPlan plan = MembershipPlan.of(LED, Map.of(0, List.of("n1", "n2", "n4"), 1, List.of("n2", "n4", "n1")),
                Set.of("n1", "n2", "n4"));
        assertThat(plan.refusals()).isEmpty();
        assertThat(plan.changes()).extracting(MembershipPlan.Change::group).containsExactly(0, 1);
        assertThat(plan.changes().get(0).joining()).containsExactly("n4");
        assertThat(plan.changes().get(0).leaving()).containsExactly("n3");
        assertThat(plan.joining()).containsExactly("n4");
    }

    @Test
    void theSameMembersInAnotherOrderWithTheSamePreferredLeaderAreNoChange() {
        MembershipPlan plan = MembershipPlan.of(LED, Map.of(0, List.of("n1", "n3", "n2"), 1, List.of("n2", "n3", "n1")),
                Set.of("n1", "n2", "n3"));
        assertThat(plan.changes()).isEmpty();
        assertThat(plan.refusals()).isEmpty();
    }

    @Test
    void anotherPreferredLeaderIsAChange() {
        MembershipPlan plan = MembershipPlan.of(LED, Map.of(0, List.of("n2", "n1", "n3")), Set.of("n1", "n2", "n3"));
        assertThat(plan.changes()).extracting(MembershipPlan.Change::group).containsExactly(0);
        assertThat(plan.changes().get(0).joining()).isEmpty();
    }

    @Test
    void aGroupWithoutALeaderIsRefused() {
        Map<Integer, MembershipPlan.Group> leaderless = Map.of(0, new MembershipPlan.Group("", List.of()));
        MembershipPlan plan = MembershipPlan.of(leaderless, Map.of(0, List.of("n1", "n2", "n4")), Set.of("n1", "n2", "n4"));
        assertThat(plan.changes()).isEmpty();
        assertThat(plan.refusals()).singleElement().asString().contains("log group 0 has no leader");
    }

    @Test
    void aChangeLeavingTooFewNewMembersUpIsRefused() {
        // n2 and n3 down: of n1, n4, n5 only n1 and the joining n4... here n4 does not start.
        MembershipPlan plan = MembershipPlan.of(LED, Map.of(0, List.of("n1", "n4", "n5")), Set.of("n1"));
        assertThat(plan.refusals()).singleElement().asString()
                .contains("log group 0 would lose its majority")
                .contains("only [n1] would be up, and 2 are needed");
    }

    @Test
    void aChangeTheOldMembersCannotAgreeOnIsRefused() {
        // n2 and n3 down (n2 being replaced, n3 dead): the joint configuration needs 2 of n1, n2, n3.
        MembershipPlan plan = MembershipPlan.of(LED, Map.of(0, List.of("n1", "n4", "n5")), Set.of("n1", "n4", "n5"));
        assertThat(plan.refusals()).singleElement().asString()
                .contains("log group 0 has only [n1] of its members [n1, n2, n3] up");
    }

    @Test
    void aGroupWithNoMembersLeftIsRefused() {
        MembershipPlan plan = MembershipPlan.of(LED, Map.of(0, List.of()), Set.of("n1", "n2", "n3"));
        assertThat(plan.refusals()).singleElement().asString().contains("would have no members left");
    }
}
