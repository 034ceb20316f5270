package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;
import io.dtm.protocol.log.Outcome;
import io.dtm.protocol.log.RecordResult;
import io.dtm.protocol.log.RecordResult.Disposition;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.SubmitResult;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The LOCKED chain: a LOCKED vote begins the attempt's successor before this attempt is aborted; the
 * successor prepares once the backoff is over and the attempt before it has rolled back everywhere,
 * and after the last attempt the client hears that it gave up.
 */
class RetryChainTest extends CoreHarness {
    private static final String HELD = "sku-0001 is held by prepared transaction t-0#1";

    @Test
    void aLockedVoteBeginsTheNextAttemptBeforeAbortingThisOneAndPreparesAfterABackoff() {
        start("t-7");
        core.beginApplied("t-7#1", BEGUN, now);

        List<Action> locked = core.voted("t-7#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, HELD), now);
        assertThat(appended(locked).getBegin().getAttemptId()).as("the successor's Begin goes first").isEqualTo("t-7#2");
        assertThat(only(locked, Action.SendPrepare.class)).isEmpty();

        List<Action> begun = core.beginApplied("t-7#2", BEGUN, now);
        assertThat(appended(begun).getDecide().getAttemptId()).isEqualTo("t-7#1");
        assertThat(appended(begun).getDecide().getOutcome()).isEqualTo(Outcome.ABORT);
        assertThat(only(begun, Action.SendPrepare.class)).as("the backoff is not over").isEmpty();
        List<Action> decided = core.decideApplied("t-7#1", applied(Outcome.ABORT, TxnStatus.DECIDED), now);
        assertThat(only(decided, Action.Reply.class)).as("no answer yet: it tries again").isEmpty();
        assertThat(only(decided, Action.SendRollback.class)).as("attempt 1 rolls back").hasSize(4);

        now += 1_000;
        assertThat(only(core.tick(now), Action.SendPrepare.class))
                .as("attempt 1 has not finished rolling back: the two must not meet at a participant").isEmpty();
        List<Action> retry = List.of();
        for (ServiceName service : ALL) {
            retry = core.acknowledged("t-7#1", service, LocalState.ROLLED_BACK, false, now);
        }
        assertThat(only(retry, Action.SendPrepare.class)).hasSize(4)
                .allSatisfy(p -> assertThat(p.prepare().getAttemptId()).isEqualTo("t-7#2"));
        allYes("t-7#2");
        SubmitResult result = reply(core.decideApplied("t-7#2", applied(Outcome.COMMIT, TxnStatus.DECIDED), now));
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.COMMITTED);
        assertThat(result.getAttempts()).isEqualTo(2);
    }

    @Test
    void aLockedVoteBeforeBeginsResultWaitsForItToKnowTheTidIsThisRequests() {
        start("t-8");
        assertThat(only(core.voted("t-8#1", ServiceName.INVENTORY, no(VoteCode.LOCKED, HELD), now),
                Action.Append.class)).isEmpty();
        RecordResult refused = RecordResult.newBuilder().setDisposition(Disposition.REFUSED).build();

        List<Action> actions = core.beginApplied("t-8#1", refused, now);

        assertThat(reply(actions).getStatus()).isEqualTo(SubmitResult.Status.REJECTED);
        assertThat(only(actions, Action.Append.class)).as("no attempt under a tid that is not ours").isEmpty();
    }

    @Test
    void afterTheLastAttemptTheClientHearsItGaveUp() {
        start("t-7");
        List<Action> last = List.of();
        for (int n = 1; n <= SETTINGS.maxAttempts(); n++) {
            String attempt = "t-7#" + n;
            core.beginApplied(attempt, BEGUN, now);
            now += 1_000;
            core.tick(now);
            last = core.voted(attempt, ServiceName.INVENTORY, no(VoteCode.LOCKED, HELD), now);
            if (n < SETTINGS.maxAttempts()) {
                core.beginApplied("t-7#" + (n + 1), BEGUN, now);
            }
            last = core.decideApplied(attempt, applied(Outcome.ABORT, TxnStatus.DECIDED).toBuilder()
                    .setReason("inventory: LOCKED: " + HELD).build(), now);
        }

        SubmitResult result = reply(last);
        assertThat(result.getStatus()).isEqualTo(SubmitResult.Status.ABORTED);
        assertThat(result.getAttempts()).isEqualTo(SETTINGS.maxAttempts());
        assertThat(result.getReason()).contains("LOCKED").contains("gave up after 5 attempts");
    }
}
