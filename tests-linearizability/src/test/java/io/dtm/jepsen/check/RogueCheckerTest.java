package io.dtm.jepsen.check;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class RogueCheckerTest {

    @Test
    void everyRefusedRequestIsValidAndCounted() {
        Hist h = new Hist();
        h.nemesis("start-rogue-client", Map.of("denied", Map.of("COMMIT", 3, "SET_FAULTS", 4), "accepted", Map.of()));
        h.nemesis("start-rogue-client", Map.of("denied", Map.of("COMMIT", 2), "accepted", Map.of()));

        CheckResult r = RogueChecker.check(h.ops());

        assertThat(r.verdict()).isEqualTo(Verdict.VALID);
        assertThat(r.details()).containsEntry("rounds", 2).containsEntry("denied", Map.of("COMMIT", 5L, "SET_FAULTS", 4L));
    }

    @Test
    void aRequestThatGotInIsInvalidEvenIfNothingElseSawHarm() {
        Hist h = new Hist();
        h.at(7_000_000);
        h.nemesis("start-rogue-client", Map.of("denied", Map.of("COMMIT", 3), "accepted", Map.of("SET_FAULTS", 1)));

        CheckResult r = RogueChecker.check(h.ops());

        assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
        assertThat(r.problems()).containsExactly("the rogue's SET_FAULTS was served, 1 time(s), at 7 ms: a client "
                + "certificate may not send it, and the log takes records only from its leader's own path");
    }

    @Test
    void aRogueThatReachedNothingLeavesTheVerdictUnknownAndARunWithoutOneIsValid() {
        Hist h = new Hist();
        h.nemesis("start-rogue-client", Map.of("denied", Map.of(), "accepted", Map.of(), "otherErrors", List.of("x")));
        assertThat(RogueChecker.check(h.ops()).verdict()).isEqualTo(Verdict.UNKNOWN);

        assertThat(RogueChecker.check(new Hist().ops()).verdict()).isEqualTo(Verdict.VALID);
    }
}
