package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.dtm.jepsen.check.CheckersTest.FOUR;
import static io.dtm.jepsen.check.CheckersTest.KEEPS_ALL;
import static io.dtm.jepsen.check.CheckersTest.logs;
import static io.dtm.jepsen.check.CheckersTest.participants;
import static io.dtm.jepsen.check.CheckersTest.totals;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checkers on histories where tids are submitted again — with the same request and with a
 * different one, while they run and long after, within retention and past it: what passes, and
 * each way it must fail.
 */
class ResubmissionCheckersTest {
    /** A log that keeps one outcome: whatever these histories ended may have been dropped. */
    private static final Retention KEEPS_ONE = new Retention(1, 3_600_000);

    private static long seconds(double s) {
        return (long) (s * 1e9);
    }

    @Nested
    class Answers {
        @Test
        void theSameAnswerNoLongerRetainedOrARefusalOfTheOtherRequestAreValid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.committed(h.resubmit(1, "t-1", FOUR, 1, 10));
            h.notRetained(h.resubmit(1, "t-1", FOUR, 1, 10));
            h.notLeader(h.resubmit(1, "t-1", FOUR, 1, 10));
            h.unknown(h.resubmit(1, "t-1", FOUR, 1, 10));
            h.rejected(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99), "tid t-1 was used for a different request");
            h.rejected(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99), "tid t-1 is running with a different request");
            h.notRetained(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99));
            h.overloaded(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99),
                    "tid t-1 is being claimed by a different request right now; retry shortly");
            CheckResult r = AnswersChecker.check(h.ops());
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
            assertThat(r.details()).containsEntry("otherRequests", 4).containsEntry("answers", 9);
        }

        @Test
        void aDifferentRequestAnsweredCommittedIsInvalid() {
            Hist h = new Hist();
            h.aborted(h.submit(1, "t-1", FOUR, 1, 10));
            h.committed(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99));
            CheckResult r = AnswersChecker.check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString()
                    .contains("t-1: a different request under it was answered COMMITTED (op 3)");
        }

        @Test
        void aDifferentRequestAnsweredAbortedIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.aborted(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99));
            CheckResult r = AnswersChecker.check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString().contains("a different request under it was answered ABORTED");
        }

        @Test
        void aDifferentRequestRejectedForAReasonTheContractDoesNotGiveIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.rejected(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99), "payment.amountCents: must be positive");
            CheckResult r = AnswersChecker.check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString().contains("REJECTED (\"payment.amountCents");
        }

        @Test
        void theTidsOwnRequestTakenForAnotherIsInvalid() {
            Hist h = new Hist();
            h.unknown(h.submit(1, "t-1", FOUR, 1, 10));
            h.rejected(h.resubmit(1, "t-1", FOUR, 1, 10), "tid t-1 was used for a different request");
            CheckResult r = AnswersChecker.check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString()
                    .contains("its own request was answered REJECTED").contains("no other request ever had the tid");
        }

        @Test
        void theOwnRequestRejectedOnceTheTidHasAnOutcomeIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.rejected(h.resubmit(1, "t-1", FOUR, 1, 10), "services: at least one service is required");
            CheckResult r = AnswersChecker.check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString()
                    .contains("but op 1 had answered it COMMITTED: the answer for a tid never changes");
        }
    }

    @Nested
    class RetentionPromise {
        @Test
        void noLongerRetainedPastTheAgeBoundIsValid() {
            Retention sixMinutes = new Retention(250_000, TimeUnit.MINUTES.toMillis(6));
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.at(seconds(61)).notRetained(h.resubmit(1, "t-1", FOUR, 1, 10)); // 61 s + 5 min margin > 6 min
            CheckResult r = RetentionChecker.check(h.ops(), sixMinutes);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
            assertThat(r.details()).containsEntry("notRetainedPastPromise", 1).containsEntry("notRetainedWithinPromise", 0);
        }

        @Test
        void noLongerRetainedWithinTheAgeBoundIsInvalid() {
            Retention sixMinutes = new Retention(250_000, TimeUnit.MINUTES.toMillis(6));
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.at(seconds(50)).notRetained(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99));
            CheckResult r = RetentionChecker.check(h.ops(), sixMinutes);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString()
                    .contains("t-1: answered \"no longer retained\" (op 3) 50 s after it was first submitted");
        }

        @Test
        void aReadThatFindsTheTidForgottenWithinThePromiseIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.saw(h.read(2, "t-1"), OutcomeRegisterChecker.FORGOTTEN);
            CheckResult r = RetentionChecker.check(h.ops(), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString().contains("t-1: read as FORGOTTEN (op 3)");
        }

        @Test
        void theCountBoundHoldsUpToMaxOutcomesOverTheAttemptsATidCanHave() {
            // 5 tids of at most 20 attempts each fill 100 outcomes: none can have been dropped.
            assertThat(RetentionChecker.check(tidsThenNotRetained(5), new Retention(100, 3_600_000)).verdict())
                    .isEqualTo(Verdict.INVALID);
            // A sixth tid could have pushed the first outcome out.
            assertThat(RetentionChecker.check(tidsThenNotRetained(6), new Retention(100, 3_600_000)).verdict())
                    .isEqualTo(Verdict.VALID);
        }

        private List<Op> tidsThenNotRetained(int tids) {
            Hist h = new Hist();
            for (int i = 1; i <= tids; i++) {
                h.at(i).committed(h.submit(1, "t-" + i, FOUR, 1, 10));
            }
            h.at(100).notRetained(h.resubmit(1, "t-1", FOUR, 1, 10));
            return h.ops();
        }
    }

    @Nested
    class Register {
        @Test
        void aReadThatFindsTheTidForgottenAfterItsAnswerContradictsNothing() {
            Hist h = new Hist();
            h.at(1).committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.at(2).saw(h.read(2, "t-1"), OutcomeRegisterChecker.FORGOTTEN);
            CheckResult r = OutcomeRegisterChecker.check(h.ops(), () -> 0, Long.MAX_VALUE);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
        }

        @Test
        void aResubmissionAnsweredTheOtherOutcomeIsInvalid() {
            Hist h = new Hist();
            h.at(1).committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.at(2).aborted(h.resubmit(2, "t-1", FOUR, 1, 10));
            CheckResult r = OutcomeRegisterChecker.check(h.ops(), () -> 0, Long.MAX_VALUE);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString().contains("op 1 says COMMIT, op 3 says ABORT");
        }

        @Test
        void theAnswerToADifferentRequestIsNoValueOfTheTid() {
            Hist h = new Hist();
            h.at(1).committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.at(2).aborted(h.resubmitOther(2, "t-1", List.of("payment"), 0, 99)); // the answers checker's
            CheckResult r = OutcomeRegisterChecker.check(h.ops(), () -> 0, Long.MAX_VALUE);
            assertThat(r.verdict()).isEqualTo(Verdict.VALID);
        }
    }

    @Nested
    class ClientTruth {
        @Test
        void answersAboutTheTidsPastClaimNothing() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.notRetained(h.resubmit(1, "t-1", FOUR, 1, 10));
            h.rejected(h.resubmitOther(1, "t-1", List.of("payment"), 0, 99), "tid t-1 was used for a different request");
            Observed o = new Observed(logs(Map.of("t-1#1", "COMMIT")), participants(Map.of("t-1#1", "COMMITTED")),
                    Map.of(), Map.of());
            CheckResult r = ClientTruthChecker.check(h.ops(), o, KEEPS_ALL);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
        }

        @Test
        void aResubmissionAnsweredAbortedForACommittedTidIsInvalid() {
            Hist h = new Hist();
            h.unknown(h.submit(1, "t-1", FOUR, 1, 10));
            h.aborted(h.resubmit(1, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of("t-1#1", "COMMIT")), participants(Map.of("t-1#1", "COMMITTED")),
                    Map.of(), Map.of());
            CheckResult r = ClientTruthChecker.check(h.ops(), o, KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString().contains("t-1: answered ABORTED (op 3)");
        }

        @Test
        void aCommitTheLogDroppedIsConfirmedByEveryService() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of()), participants(Map.of("t-1#1", "ROLLED_BACK", "t-1#2", "COMMITTED")),
                    Map.of(), Map.of());
            CheckResult r = ClientTruthChecker.check(h.ops(), o, KEEPS_ONE);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
            assertThat(r.details()).containsEntry("committedByServicesOnly", 1);
        }

        @Test
        void aCommitTheLogDroppedThatAServiceHoldsOtherwiseIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED"));
            p.get("payment").put("t-1#1", "ROLLED_BACK");
            CheckResult r = ClientTruthChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()),
                    KEEPS_ONE);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString()
                    .isEqualTo("t-1: acknowledged COMMITTED, but payment holds t-1#1 as ROLLED_BACK");
        }

        @Test
        void aCommitTheLogDroppedThatNoServiceHoldsIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of()), participants(Map.of("t-1#1", "ROLLED_BACK")), Map.of(), Map.of());
            CheckResult r = ClientTruthChecker.check(h.ops(), o, KEEPS_ONE);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString()
                    .contains("no log retains a COMMIT for it and no service holds it committed");
        }
    }

    @Nested
    class Conservation {
        /** t-1 committed, resubmitted alike and under another request; t-2 aborted. */
        private List<Op> resubmitted() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 2, 300));
            h.committed(h.resubmit(1, "t-1", FOUR, 2, 300));
            h.rejected(h.resubmitOther(1, "t-1", FOUR, 7, 5_000), "tid t-1 was used for a different request");
            h.aborted(h.submit(2, "t-2", FOUR, 5, 999));
            h.notRetained(h.resubmitOther(2, "t-2", FOUR, 1, 1));
            return h.ops();
        }

        @Test
        void aResubmittedTidCountsOnceWithItsOwnRequest() {
            Observed o = new Observed(logs(Map.of("t-1#1", "COMMIT", "t-2#1", "ABORT")), Map.of(),
                    totals(0, 0, 0, 0), totals(2, 300, 1, 1));
            CheckResult r = ConservationChecker.check(resubmitted(), o, KEEPS_ALL);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
        }

        @Test
        void aCommitTheLogDroppedCountsByTheServices() {
            Observed o = new Observed(logs(Map.of("t-2#1", "ABORT")),
                    participants(Map.of("t-1#1", "COMMITTED", "t-2#1", "ROLLED_BACK")), totals(0, 0, 0, 0),
                    totals(2, 300, 1, 1));
            CheckResult r = ConservationChecker.check(resubmitted(), o, KEEPS_ONE);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
            // A log that forgets nothing has no such excuse: the services applied what it never committed.
            CheckResult strict = ConservationChecker.check(resubmitted(), o, KEEPS_ALL);
            assertThat(strict.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(strict.problems()).anySatisfy(p -> assertThat(p).contains("inventory.sold grew by 2, the committed tids add 0"));
        }

        @Test
        void aServiceNotReadWhenTheLogMayHaveForgottenMakesItUnknown() {
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED", "t-2#1", "ROLLED_BACK"));
            p.remove("order");
            Observed o = new Observed(logs(Map.of()), p, totals(0, 0, 0, 0), totals(2, 300, 1, 1));
            CheckResult r = ConservationChecker.check(resubmitted(), o, KEEPS_ONE);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
        }
    }
}
