package io.dtm.log;

import io.dtm.log.raft.TxnStateMachine;
import io.dtm.log.state.TxnLogState;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the state machine tells the coordinator about leadership, as Ratis tells it. */
class LeadershipNotificationTest {
    @Test
    void aLeaderThatStepsDownSaysSoBeforeAnySuccessorIsKnown() {
        TxnStateMachine machine = new TxnStateMachine(new TxnLogState.Retention(10, 1_000), List.of("n1"));
        List<String> heard = new ArrayList<>();
        machine.setLeadershipListener(new LeadershipListener() {
            @Override
            public void leaderReady(long term) {
                heard.add("ready " + term);
            }

            @Override
            public void leaderChanged(String leaderId) {
                heard.add("changed to " + leaderId);
            }

            @Override
            public void leadershipLost() {
                heard.add("lost");
            }
        });

        machine.notifyNotLeader(List.of());
        machine.notifyLeaderChanged(null, null);

        assertThat(heard).containsExactly("lost", "changed to ");
    }
}
