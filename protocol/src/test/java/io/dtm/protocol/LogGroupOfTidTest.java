package io.dtm.protocol;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogGroupOfTidTest {

    @Test
    void theFunctionNeverChanges() {
        // A cluster's data keeps tids in the groups this function chose when they ran: these values
        // are pinned, and a change that moves them strands every transaction of an existing cluster.
        Map<String, Integer> ofThree = Map.of("order-1", 2, "order-2", 1, "order-3", 2, "a", 1, "demo-0042", 2);
        ofThree.forEach((tid, group) -> assertThat(LogGroupOfTid.indexOf(tid, 3)).as(tid).isEqualTo(group));
        Map<String, Integer> ofSeven = Map.of("order-1", 2, "order-2", 4, "order-3", 0, "a", 3, "demo-0042", 4);
        ofSeven.forEach((tid, group) -> assertThat(LogGroupOfTid.indexOf(tid, 7)).as(tid).isEqualTo(group));
    }

    @Test
    void everyAttemptOfATidIsInTheTidsGroup() {
        for (int groups = 1; groups <= 9; groups++) {
            for (int i = 0; i < 200; i++) {
                String tid = "t-" + i;
                int group = LogGroupOfTid.indexOf(tid, groups);
                assertThat(group).isBetween(0, groups - 1);
                assertThat(LogGroupOfTid.indexOf(tid + "#1", groups)).isEqualTo(group);
                assertThat(LogGroupOfTid.indexOf(tid + "#17", groups)).isEqualTo(group);
            }
        }
    }

    @Test
    void sequentialTidsSpreadEvenlyOverTheGroups() {
        for (int groups : new int[] {2, 3, 5, 8}) {
            Map<Integer, Integer> counts = new HashMap<>();
            int n = 30_000;
            for (int i = 0; i < n; i++) {
                counts.merge(LogGroupOfTid.indexOf("order-" + i, groups), 1, Integer::sum);
            }
            assertThat(counts).hasSize(groups);
            counts.values().forEach(c -> assertThat(c).as("%d groups", groups).isBetween(n / groups * 9 / 10,
                    n / groups * 11 / 10));
        }
    }

    @Test
    void oneGroupHoldsEverythingAndNoGroupsIsAnError() {
        assertThat(LogGroupOfTid.indexOf("anything", 1)).isZero();
        assertThatThrownBy(() -> LogGroupOfTid.indexOf("x", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
