package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Each checker on small histories and final states: what passes, and each way it must fail. */
class CheckersTest {
    static final List<String> FOUR = List.of("inventory", "payment", "order", "shipping");
    static final Set<String> NODES = Set.of("n1", "n2", "n3");
    /** The log keeps every outcome of these small histories (the default retention). */
    static final Retention KEEPS_ALL = new Retention(250_000, 3_600_000);

    static Map<String, Map<String, String>> logs(Map<String, String> outcomes) {
        Map<String, Map<String, String>> logs = new LinkedHashMap<>();
        NODES.stream().sorted().forEach(n -> logs.put(n, new HashMap<>(outcomes)));
        return logs;
    }

    static Map<String, Map<String, String>> participants(Map<String, String> states) {
        Map<String, Map<String, String>> p = new LinkedHashMap<>();
        FOUR.forEach(s -> p.put(s, new HashMap<>(states)));
        return p;
    }

    static Map<String, Long> totals(long sold, long captured, long confirmed, long scheduled) {
        Map<String, Long> t = new LinkedHashMap<>();
        t.put("inventory.initialStock", 1_000L);
        t.put("inventory.available", 1_000L - sold);
        t.put("inventory.reserved", 0L);
        t.put("inventory.sold", sold);
        t.put("payment.initialBalanceCents", 10_000L);
        t.put("payment.balanceCents", 10_000L - captured);
        t.put("payment.heldCents", 0L);
        t.put("payment.capturedCents", captured);
        t.put("order.confirmed", confirmed);
        t.put("order.pending", 0L);
        t.put("shipping.scheduled", scheduled);
        t.put("shipping.pending", 0L);
        return t;
    }

    @Nested
    class OutcomeRegister {
        private CheckResult check(List<Op> ops) {
            return OutcomeRegisterChecker.check(ops, () -> 0, Long.MAX_VALUE);
        }

        @Test
        void answersAndReadsThatAgreeAreValid() {
            Hist h = new Hist();
            Op read = h.at(1).read(2, "t-1");
            Op submit = h.at(2).submit(1, "t-1", FOUR, 1, 10);
            h.at(3).saw(read, "NONE"); // began before the answer: may see nothing yet
            h.at(4).committed(submit);
            Op later = h.at(5).read(2, "t-1");
            h.at(6).saw(later, "COMMIT");
            assertThat(check(h.ops()).verdict()).isEqualTo(Verdict.VALID);
        }

        @Test
        void twoDifferentOutcomesForOneTidAreInvalid() {
            Hist h = new Hist();
            Op submit = h.at(1).submit(1, "t-1", FOUR, 1, 10);
            h.at(2).committed(submit);
            Op read = h.at(3).read(2, "t-1");
            h.at(4).saw(read, "ABORT");
            CheckResult r = check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).singleElement().asString().contains("t-1").contains("COMMIT").contains("ABORT");
        }

        @Test
        void aReadAfterAnAcknowledgedOutcomeThatSeesNoneIsInvalid() {
            Hist h = new Hist();
            Op submit = h.at(1).submit(1, "t-1", FOUR, 1, 10);
            h.at(2).aborted(submit);
            Op read = h.at(3).read(2, "t-1");
            h.at(4).saw(read, "NONE");
            CheckResult r = check(h.ops());
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("began after op 1 had returned ABORT, but saw NONE");
        }

        @Test
        void runningOutOfTimeIsUnknownNotValid() {
            Hist h = new Hist();
            h.at(1).committed(h.submit(1, "t-1", FOUR, 1, 10));
            CheckResult r = OutcomeRegisterChecker.check(h.ops(), () -> 10, 5);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(r.problems().get(0)).contains("out of time after 0 of 1 tids");
        }
    }

    @Nested
    class Atomicity {
        @Test
        void oneAttemptCommittedEverywhereIsValid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of("t-1#2", "COMMIT")),
                    participants(Map.of("t-1#1", "ROLLED_BACK", "t-1#2", "COMMITTED")), Map.of(), Map.of());
            assertThat(AtomicityChecker.check(h.ops(), o).verdict()).isEqualTo(Verdict.VALID);
        }

        @Test
        void aCommitAtSomeServicesOnlyIsInvalid() {
            Hist h = new Hist();
            h.unknown(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED"));
            p.get("shipping").put("t-1#1", "ROLLED_BACK");
            CheckResult r = AtomicityChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()));
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("t-1#1 committed at some services only").contains("shipping=ROLLED_BACK");
        }

        @Test
        void aServiceThatNeverSawTheCommittedAttemptIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", List.of("payment", "order"), 0, 10));
            Map<String, Map<String, String>> p = new LinkedHashMap<>();
            p.put("payment", Map.of("t-1#1", "COMMITTED"));
            p.put("order", Map.of());
            CheckResult r = AtomicityChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()));
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("order=NONE");
        }

        @Test
        void aServiceThatCouldNotBeReadMakesItUnknown() {
            Hist h = new Hist();
            h.aborted(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "ROLLED_BACK"));
            p.remove("order"); // it may hold t-1#1 COMMITTED
            CheckResult r = AtomicityChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()));
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(r.problems()).singleElement().asString().contains("services not read: [order]");
        }

        @Test
        void twoCommittedAttemptsOfOneTidAreInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", List.of("payment"), 0, 10));
            Map<String, Map<String, String>> p = new LinkedHashMap<>();
            p.put("payment", Map.of("t-1#1", "COMMITTED", "t-1#2", "COMMITTED"));
            CheckResult r = AtomicityChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()));
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("more than one attempt committed");
        }
    }

    @Nested
    class Agreement {
        @Test
        void identicalReplicasAreValid() {
            Observed o = new Observed(logs(Map.of("t-1#1", "COMMIT", "t-2#1", "ABORT")), Map.of(), Map.of(), Map.of());
            assertThat(AgreementChecker.check(o, NODES).verdict()).isEqualTo(Verdict.VALID);
        }

        @Test
        void aReplicaWithAnotherOutcomeIsInvalid() {
            Map<String, Map<String, String>> logs = logs(Map.of("t-1#1", "COMMIT"));
            logs.get("n3").put("t-1#1", "ABORT");
            CheckResult r = AgreementChecker.check(new Observed(logs, Map.of(), Map.of(), Map.of()), NODES);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("t-1#1").contains("n3=ABORT");
        }

        @Test
        void aNodeThatCouldNotBeReadMakesItUnknown() {
            Map<String, Map<String, String>> logs = logs(Map.of("t-1#1", "COMMIT"));
            logs.remove("n2");
            CheckResult r = AgreementChecker.check(new Observed(logs, Map.of(), Map.of(), Map.of()), NODES);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
        }
    }

    @Nested
    class ClientTruth {
        @Test
        void anAcknowledgedCommitMissingFromTheLogIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of("t-1#1", "ABORT")), participants(Map.of("t-1#1", "ROLLED_BACK")),
                    Map.of(), Map.of());
            CheckResult r = ClientTruthChecker.check(h.ops(), o, KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("acknowledged COMMITTED").contains("no log holds a COMMIT");
        }

        @Test
        void anAbortedAnswerForATidCommittedSomewhereIsInvalid() {
            Hist h = new Hist();
            h.aborted(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "ROLLED_BACK"));
            p.get("payment").put("t-1#1", "COMMITTED");
            CheckResult r = ClientTruthChecker.check(h.ops(), new Observed(logs(Map.of("t-1#1", "ABORT")), p,
                    Map.of(), Map.of()), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("answered ABORTED");
        }

        @Test
        void anAcknowledgedCommitThatAServiceHoldsOtherwiseIsInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED"));
            p.get("shipping").put("t-1#1", "ROLLED_BACK");
            p.get("order").remove("t-1#1");
            CheckResult r = ClientTruthChecker.check(h.ops(), new Observed(logs(Map.of("t-1#1", "COMMIT")), p,
                    Map.of(), Map.of()), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).containsExactlyInAnyOrder(
                    "t-1: acknowledged COMMITTED, but order holds t-1#1 as NONE",
                    "t-1: acknowledged COMMITTED, but shipping holds t-1#1 as ROLLED_BACK");
        }

        @Test
        void aServiceThatCouldNotBeReadMakesAnAcknowledgedCommitUnknownNotValid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED"));
            p.remove("payment");
            CheckResult r = ClientTruthChecker.check(h.ops(), new Observed(logs(Map.of("t-1#1", "COMMIT")), p,
                    Map.of(), Map.of()), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(r.problems()).singleElement().asString().contains("[payment] could not be read");
        }

        @Test
        void aServiceThatCouldNotBeReadMakesAnAbortUnknownNotValid() {
            Hist h = new Hist();
            h.aborted(h.submit(1, "t-1", FOUR, 1, 10));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "ROLLED_BACK"));
            p.remove("inventory");
            CheckResult r = ClientTruthChecker.check(h.ops(), new Observed(logs(Map.of("t-1#1", "ABORT")), p,
                    Map.of(), Map.of()), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
        }

        @Test
        void noLogReadMakesItUnknownNotInvalid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            CheckResult r = ClientTruthChecker.check(h.ops(), new Observed(Map.of(),
                    participants(Map.of("t-1#1", "COMMITTED")), Map.of(), Map.of()), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(r.problems()).singleElement().asString().contains("no node's log could be read");
        }

        @Test
        void aCommitMissingFromALogThatForgetsNothingIsInvalidWhateverTheServicesHold() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of()), participants(Map.of("t-1#1", "COMMITTED")), Map.of(), Map.of());
            CheckResult r = ClientTruthChecker.check(h.ops(), o, KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems().get(0)).contains("no log holds a COMMIT for it");
        }

        @Test
        void aDuplicateRefusedByAFollowerSaysNothingAboutTheTid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.notLeader(h.submit(2, "t-1", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of("t-1#1", "COMMIT")), participants(Map.of("t-1#1", "COMMITTED")),
                    Map.of(), Map.of());
            assertThat(ClientTruthChecker.check(h.ops(), o, KEEPS_ALL).verdict()).isEqualTo(Verdict.VALID);
        }

        @Test
        void answersThatMatchTheClusterAreValid() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 1, 10));
            h.aborted(h.submit(2, "t-2", FOUR, 1, 10));
            h.unknown(h.submit(3, "t-3", FOUR, 1, 10));
            Observed o = new Observed(logs(Map.of("t-1#1", "COMMIT", "t-2#1", "ABORT", "t-3#1", "COMMIT")),
                    participants(Map.of("t-1#1", "COMMITTED", "t-2#1", "VOTED_NO", "t-3#1", "COMMITTED")),
                    Map.of(), Map.of());
            assertThat(ClientTruthChecker.check(h.ops(), o, KEEPS_ALL).verdict()).isEqualTo(Verdict.VALID);
        }
    }

    @Nested
    class Conservation {
        private List<Op> twoOrders() {
            Hist h = new Hist();
            h.committed(h.submit(1, "t-1", FOUR, 2, 300));
            h.unknown(h.submit(2, "t-2", List.of("payment", "order"), 0, 50));
            h.aborted(h.submit(3, "t-3", FOUR, 5, 999));
            return h.ops();
        }

        private Map<String, Map<String, String>> committedLogs() {
            return logs(Map.of("t-1#1", "COMMIT", "t-2#1", "COMMIT", "t-3#1", "ABORT"));
        }

        @Test
        void theEffectsOfExactlyTheCommittedTidsAreValid() {
            Observed o = new Observed(committedLogs(), Map.of(), totals(10, 100, 3, 3), totals(12, 450, 5, 4));
            CheckResult r = ConservationChecker.check(twoOrders(), o, KEEPS_ALL);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
        }

        @Test
        void theProbesAfterTheHealCountToo() {
            Hist h = new Hist();
            h.committed(h.probe(1, "probe-1"));
            Observed o = new Observed(logs(Map.of("probe-1#1", "COMMIT")), Map.of(), totals(0, 0, 0, 0),
                    totals(0, 100, 0, 0));
            CheckResult r = ConservationChecker.check(h.ops(), o, KEEPS_ALL);
            assertThat(r.verdict()).as(r.problems().toString()).isEqualTo(Verdict.VALID);
        }

        @Test
        void anOrderAppliedTwiceIsInvalid() {
            Observed o = new Observed(committedLogs(), Map.of(), totals(10, 100, 3, 3), totals(14, 750, 6, 5));
            CheckResult r = ConservationChecker.check(twoOrders(), o, KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("inventory.sold grew by 4, the committed tids add 2"));
        }

        @Test
        void noLogReadMakesItUnknownNotInvalid() {
            Observed o = new Observed(Map.of(), Map.of(), totals(10, 100, 3, 3), totals(12, 450, 5, 4));
            CheckResult r = ConservationChecker.check(twoOrders(), o, KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
        }

        @Test
        void somethingLeftHeldOrUnaccountedIsInvalid() {
            Map<String, Long> after = totals(12, 450, 5, 4);
            after.put("payment.heldCents", 20L);
            CheckResult r = ConservationChecker.check(twoOrders(),
                    new Observed(committedLogs(), Map.of(), totals(10, 100, 3, 3), after), KEEPS_ALL);
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).anySatisfy(p -> assertThat(p).contains("payment.heldCents is 20"))
                    .anySatisfy(p -> assertThat(p).contains("payment.initialBalanceCents is 10000"));
        }
    }

    @Nested
    class Resolution {
        @Test
        void nothingPreparedAndEveryProbeCommittedIsValid() {
            Hist h = new Hist();
            h.committed(h.probe(1, "probe-1"));
            Observed o = new Observed(logs(Map.of()), participants(Map.of("t-1#1", "COMMITTED")), Map.of(), Map.of());
            assertThat(ResolutionChecker.check(h.ops(), o).verdict()).isEqualTo(Verdict.VALID);
        }

        @Test
        void anAttemptStillPreparedOrAProbeThatFailedIsInvalid() {
            Hist h = new Hist();
            h.unknown(h.probe(1, "probe-1"));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED"));
            p.get("order").put("t-2#1", "PREPARED");
            CheckResult r = ResolutionChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()));
            assertThat(r.verdict()).isEqualTo(Verdict.INVALID);
            assertThat(r.problems()).anySatisfy(x -> assertThat(x).contains("order still holds t-2#1 PREPARED"))
                    .anySatisfy(x -> assertThat(x).contains("probe probe-1 after the heal: info"));
        }

        @Test
        void aServiceThatCouldNotBeReadMakesItUnknown() {
            Hist h = new Hist();
            h.committed(h.probe(1, "probe-1"));
            Map<String, Map<String, String>> p = participants(Map.of("t-1#1", "COMMITTED"));
            p.remove("shipping"); // it may still hold something PREPARED
            CheckResult r = ResolutionChecker.check(h.ops(), new Observed(logs(Map.of()), p, Map.of(), Map.of()));
            assertThat(r.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(r.problems()).singleElement().asString().contains("services not read: [shipping]");
        }

        @Test
        void withoutAProbeItIsUnknown() {
            Observed o = new Observed(logs(Map.of()), participants(Map.of()), Map.of(), Map.of());
            assertThat(ResolutionChecker.check(List.of(), o).verdict()).isEqualTo(Verdict.UNKNOWN);
        }
    }

    @Test
    void theCombinedVerdictIsTheWorstAndCountsAreByOperation() {
        Hist h = new Hist();
        h.committed(h.submit(1, "t-1", FOUR, 1, 10));
        h.aborted(h.submit(1, "t-2", FOUR, 1, 10));
        h.submit(2, "t-3", FOUR, 1, 10); // never completed: info
        Op read = h.read(3, "t-1");
        h.saw(read, "COMMIT");
        Map<String, Map<String, String>> logs = logs(Map.of("t-1#1", "COMMIT", "t-2#1", "ABORT"));
        logs.remove("n3");
        Observed o = new Observed(logs, participants(Map.of("t-1#1", "COMMITTED", "t-2#1", "ROLLED_BACK")),
                totals(0, 0, 0, 0), totals(1, 10, 1, 1));
        Analysis a = Analysis.of(h.ops(), o, NODES, KEEPS_ALL, () -> 0, Long.MAX_VALUE);
        assertThat(a.verdict()).isEqualTo(Verdict.UNKNOWN); // n3 unread; no probes; nothing wrong
        assertThat(a.counts().get("submit")).containsEntry("ok", 1L).containsEntry("fail", 1L).containsEntry("info", 1L);
        assertThat(a.counts().get("read")).containsEntry("ok", 1L);
        assertThat(a.toJson()).containsEntry("valid", "unknown");
        assertThat(Verdict.VALID.and(Verdict.INVALID).and(Verdict.UNKNOWN)).isEqualTo(Verdict.INVALID);
    }
}
