package io.dtm.log;

import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.rpc.LogDump;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** A node's log dump across its groups: pages merged in id order, nothing skipped from page to page. */
class LocalPageMergeTest {

    /** A group's page as TxnLogState.page makes it: the first {@code limit} ids after {@code after}. */
    private static LogDump page(TreeSet<String> ids, String after, int limit, long applied) {
        List<TxnState> states = new ArrayList<>();
        String next = "";
        for (String id : ids.tailSet(after, false)) {
            if (states.size() == limit) {
                next = states.get(limit - 1).getAttemptId();
                break;
            }
            states.add(TxnState.newBuilder().setAttemptId(id).build());
        }
        return LogDump.newBuilder().addAllStates(states).setNext(next).setAppliedIndex(applied).build();
    }

    @Test
    void pagingThroughTheMergedPagesListsEveryIdOnceInOrder() {
        List<TreeSet<String>> groups = List.of(new TreeSet<>(), new TreeSet<>(), new TreeSet<>());
        TreeSet<String> all = new TreeSet<>();
        java.util.Random random = new java.util.Random(7);
        for (int i = 0; i < 200; i++) {
            String id = "t-" + random.nextInt(100_000) + "#1";
            groups.get(random.nextInt(groups.size()) == 0 && i % 5 == 0 ? 0 : i % 3).add(id);
            all.add(id);
        }
        for (int limit : new int[] {1, 7, 50, 500}) {
            List<String> seen = new ArrayList<>();
            String after = "";
            int pages = 0;
            do {
                List<LogDump> perGroup = new ArrayList<>();
                for (TreeSet<String> g : groups) {
                    perGroup.add(page(g, after, limit, 10));
                }
                LogDump merged = TxnLogServer.mergePages(perGroup, limit);
                assertThat(merged.getStatesCount()).isLessThanOrEqualTo(limit);
                assertThat(merged.getAppliedIndex()).isEqualTo(30);
                merged.getStatesList().forEach(s -> seen.add(s.getAttemptId()));
                after = merged.getNext();
                pages++;
            } while (!after.isEmpty() && pages < 1_000);
            assertThat(seen).as("limit %d", limit).containsExactlyElementsOf(all);
        }
    }

    @Test
    void anEmptyNodeGivesAnEmptyLastPage() {
        LogDump merged = TxnLogServer.mergePages(List.of(LogDump.getDefaultInstance()), 10);
        assertThat(merged.getStatesList()).isEmpty();
        assertThat(merged.getNext()).isEmpty();
    }
}
