package io.dtm.participant.domain;

import static io.dtm.participant.domain.Fixtures.BAD_LUHN;
import static io.dtm.participant.domain.Fixtures.DECLINED;
import static io.dtm.participant.domain.Fixtures.NOW;
import static io.dtm.participant.domain.Fixtures.VISA;
import static io.dtm.participant.domain.Fixtures.item;
import static io.dtm.participant.domain.Fixtures.payment;
import static io.dtm.participant.domain.Fixtures.prepare;
import static org.assertj.core.api.Assertions.assertThat;

import io.dtm.config.ServiceName;
import io.dtm.participant.store.AccountRecord;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.PaymentHold;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PaymentServiceTest {

    private final PaymentService service = new PaymentService();
    private final MemoryWriter out = new MemoryWriter();

    @BeforeEach
    void seed() {
        service.seed(out);
        out.clearChanges();
    }

    @Test
    void seedWritesAThousandAccountsDeterministically() {
        MemoryWriter first = new MemoryWriter();
        MemoryWriter second = new MemoryWriter();
        new PaymentService().seed(first);
        new PaymentService().seed(second);

        assertThat(first.changes()).hasSize(1000).isEqualTo(second.changes());
        assertThat(first.changedKeys()).startsWith("rec/account/acct-0000").endsWith("rec/account/acct-0999");
        assertThat(service.find("acct-0001")).isEqualTo(AccountRecord.newBuilder().setAccount("acct-0001")
                .setBalanceCents(100_000_000).setVersion(1).build());
        assertThat(service.totals()).containsExactly(Map.entry("initialBalanceCents", 100_000_000_000L),
                Map.entry("balanceCents", 100_000_000_000L), Map.entry("heldCents", 0L),
                Map.entry("capturedCents", 0L));
        assertThat(service.name()).isEqualTo(ServiceName.PAYMENT);
    }

    @Test
    void yesHoldsTheAmountAndKeepsOnlyTheLastFourDigits() {
        Decision decision = service.prepare("t-1", prepare(payment("acct-0001", 2500).setCard("4111 1111-1111 1111")),
                NOW, out);

        assertThat(decision.isYes()).isTrue();
        assertThat(decision.hold()).isEqualTo(Hold.newBuilder().setPayment(PaymentHold.newBuilder()
                .setAccount("acct-0001").setAmountCents(2500).setCardLast4("1111").setShared(true)).build());
        AccountRecord held = AccountRecord.newBuilder().setAccount("acct-0001").setBalanceCents(99_997_500)
                .setHeldCents(2500).setVersion(1).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/account/acct-0001", held));
        assertThat(service.describe(decision.hold()))
                .containsExactly("hold 2500 cents on acct-0001 (card ending 1111)");
        assertThat(decision.hold().toString()).doesNotContain("41111111");
    }

    @Test
    void malformedRequestsNameTheField() {
        refused(Prepare.getDefaultInstance(), VoteCode.INVALID_REQUEST, "payment request missing");
        refused(Fixtures.inventory(item("sku-0001", 1)), VoteCode.INVALID_REQUEST,
                "expected a payment request, got an inventory request");
        refused(prepare(payment("", 1)), VoteCode.INVALID_REQUEST, "account: missing");
        refused(prepare(payment("acct-0001", 1).setCard("")), VoteCode.INVALID_REQUEST, "card: missing");
        refused(prepare(payment("acct-0001", 1).setExpiry(" ")), VoteCode.INVALID_REQUEST, "expiry: missing");
        refused(prepare(payment("acct-0001", 0)), VoteCode.INVALID_REQUEST, "amount_cents: must be positive, got 0");
        refused(prepare(payment("acct-0001", -5)), VoteCode.INVALID_REQUEST,
                "amount_cents: must be positive, got -5");
        refused(prepare(payment("acct-0001", 1_000_000_000_001L)), VoteCode.INVALID_REQUEST,
                "amount_cents: must be at most 1000000000000, got 1000000000001");
        // Malformed input comes before the account lookup.
        refused(prepare(payment("acct-9999", 0)), VoteCode.INVALID_REQUEST, "amount_cents: must be positive, got 0");
    }

    @Test
    void everyCardRuleHasItsCode() {
        refused(prepare(payment("acct-0001", 1).setCard("4111x")), VoteCode.INVALID_CARD,
                "card number is not 12-19 digits");
        refused(prepare(payment("acct-0001", 1).setCard(BAD_LUHN)), VoteCode.INVALID_CARD,
                "card ending 1112: fails the Luhn check");
        refused(prepare(payment("acct-0001", 1).setExpiry("13/30")), VoteCode.INVALID_CARD,
                "expiry \"13/30\": expected MM/YY");
        refused(prepare(payment("acct-0001", 1).setExpiry("01/24")), VoteCode.CARD_EXPIRED,
                "card ending 1111 expired 01/24");
        refused(prepare(payment("acct-0001", 1).setCard(DECLINED)), VoteCode.CARD_DECLINED,
                "card ending 0002 declined by issuer");
    }

    @Test
    void unknownAccountIsRefused() {
        refused(prepare(payment("acct-9999", 1)), VoteCode.UNKNOWN_ACCOUNT, "acct-9999: unknown account");
    }

    @Test
    void insufficientFundsNamesTheBalance() {
        Fixtures.prepareAndCommit(service, out, "t-1", prepare(payment("acct-0001", 99_999_500)));

        refused(prepare(payment("acct-0001", 2500)), VoteCode.INSUFFICIENT_FUNDS,
                "acct-0001: balance 500 cents, requested 2500");
        assertThat(service.prepare("t-3", prepare(payment("acct-0001", 500)), NOW, out).isYes()).isTrue();
    }

    @Test
    void checksRunInOrderAccountLockVersionCardFunds() {
        service.prepare("t-1", prepare(payment("acct-0001", 1).setExpectedVersion(1)), NOW, out);
        out.clearChanges();

        refused(prepare(payment("acct-9999", 1).setCard(BAD_LUHN)), VoteCode.UNKNOWN_ACCOUNT,
                "acct-9999: unknown account");
        Vote locked = refused(prepare(payment("acct-0001", 1).setExpectedVersion(9).setCard(BAD_LUHN)),
                VoteCode.LOCKED, "acct-0001 is held by prepared transaction t-1");
        assertThat(locked.getRecord()).isEqualTo("acct-0001");
        refused(prepare(payment("acct-0002", 1).setExpectedVersion(9).setCard(BAD_LUHN)), VoteCode.STALE_VERSION,
                "acct-0002: expected version 9, current version 1");
        refused(prepare(payment("acct-0002", 200_000_000).setCard(DECLINED)), VoteCode.CARD_DECLINED,
                "card ending 0002 declined by issuer");
        refused(prepare(payment("acct-0002", 200_000_000)), VoteCode.INSUFFICIENT_FUNDS,
                "acct-0002: balance 100000000 cents, requested 200000000");
    }

    @Test
    void anAccountHeldWithAVersionIsLockedForOthersButNotForItsHolder() {
        Decision versioned = service.prepare("t-1", prepare(payment("acct-0001", 1).setExpectedVersion(1)), NOW, out);
        assertThat(versioned.hold().getPayment().getShared()).isFalse();
        out.clearChanges();

        refused(prepare(payment("acct-0001", 1)), VoteCode.LOCKED, "acct-0001 is held by prepared transaction t-1");
        refused(prepare(payment("acct-0001", 1).setExpectedVersion(1)), VoteCode.LOCKED,
                "acct-0001 is held by prepared transaction t-1");
        assertThat(service.prepare("t-2", prepare(payment("acct-0002", 1)), NOW, out).isYes()).isTrue();
        assertThat(service.prepare("t-1", prepare(payment("acct-0001", 1)), NOW, out).isYes()).isTrue();
    }

    @Test
    void paymentsWithoutAVersionShareTheAccountAndEachHoldsItsOwnAmount() {
        Decision first = service.prepare("t-1", prepare(payment("acct-0003", 60_000_000)), NOW, out);
        Decision second = service.prepare("t-3", prepare(payment("acct-0003", 30_000_000)), NOW, out);
        out.clearChanges();

        assertThat(first.isYes()).isTrue();
        assertThat(second.isYes()).isTrue();
        assertThat(service.heldRecords()).isEqualTo(2);
        // What the others hold is not in the balance: escrow never overdraws.
        refused(prepare(payment("acct-0003", 10_000_001)), VoteCode.INSUFFICIENT_FUNDS,
                "acct-0003: balance 10000000 cents, requested 10000001");
        refused(prepare(payment("acct-0003", 1).setExpectedVersion(1)), VoteCode.LOCKED,
                "acct-0003 is held by prepared transaction t-1");

        service.rollback("t-1", first.hold(), out);
        service.commit("t-3", second.hold(), out);

        assertThat(service.find("acct-0003")).isEqualTo(AccountRecord.newBuilder().setAccount("acct-0003")
                .setBalanceCents(70_000_000).setCapturedCents(30_000_000).setVersion(2).build());
        assertThat(service.heldRecords()).isZero();
        assertThat(service.prepare("t-4", prepare(payment("acct-0003", 1).setExpectedVersion(2)), NOW, out).isYes())
                .isTrue();
    }

    @Test
    void commitCapturesBumpsTheVersionAndReleases() {
        Hold hold = service.prepare("t-1", prepare(payment("acct-0001", 2500).setExpectedVersion(1)), NOW, out).hold();
        out.clearChanges();

        service.commit("t-1", hold, out);

        AccountRecord captured = AccountRecord.newBuilder().setAccount("acct-0001").setBalanceCents(99_997_500)
                .setCapturedCents(2500).setVersion(2).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/account/acct-0001", captured));
        assertThat(service.heldRecords()).isZero();
        out.clearChanges();
        Vote stale = refused(prepare(payment("acct-0001", 1).setExpectedVersion(1)), VoteCode.STALE_VERSION,
                "acct-0001: expected version 1, current version 2");
        assertThat(stale.getCurrentVersion()).isEqualTo(2);
        assertThat(service.prepare("t-3", prepare(payment("acct-0001", 1).setExpectedVersion(2)), NOW, out).isYes())
                .isTrue();
    }

    @Test
    void rollbackReturnsTheMoneyKeepsTheVersionAndReleases() {
        Hold hold = service.prepare("t-1", prepare(payment("acct-0001", 2500)), NOW, out).hold();
        out.clearChanges();

        service.rollback("t-1", hold, out);

        AccountRecord seeded = AccountRecord.newBuilder().setAccount("acct-0001").setBalanceCents(100_000_000)
                .setVersion(1).build();
        assertThat(out.changes()).containsExactly(new MemoryWriter.Change("rec/account/acct-0001", seeded));
        assertThat(service.heldRecords()).isZero();
        assertThat(service.prepare("t-2", prepare(payment("acct-0001", 1).setExpectedVersion(1)), NOW, out).isYes())
                .isTrue();
    }

    @Test
    void moneyIsConservedOverRandomPreparesCommitsAndRollbacks() {
        Random random = new Random(7);
        Map<String, Hold> prepared = new LinkedHashMap<>();
        long captured = 0;
        for (int op = 0; op < 5_000; op++) {
            if (prepared.isEmpty() || random.nextInt(3) == 0) {
                String tid = "t-" + op;
                String card = random.nextInt(10) == 0 ? DECLINED : VISA;
                PaymentRequest.Builder request = payment(PaymentService.accountId(random.nextInt(20)),
                        1 + random.nextInt(30_000_000)).setCard(card);
                Decision decision = service.prepare(tid, prepare(request), NOW, out);
                if (decision.isYes()) {
                    prepared.put(tid, decision.hold());
                }
            } else {
                String tid = new ArrayList<>(prepared.keySet()).get(random.nextInt(prepared.size()));
                Hold hold = prepared.remove(tid);
                if (random.nextBoolean()) {
                    service.commit(tid, hold, out);
                    captured += hold.getPayment().getAmountCents();
                } else {
                    service.rollback(tid, hold, out);
                }
            }
            Map<String, Long> totals = service.totals();
            assertThat(totals.get("balanceCents") + totals.get("heldCents") + totals.get("capturedCents"))
                    .isEqualTo(totals.get("initialBalanceCents"));
        }
        long held = prepared.values().stream().mapToLong(h -> h.getPayment().getAmountCents()).sum();
        assertThat(service.totals()).containsEntry("heldCents", held).containsEntry("capturedCents", captured);
        assertThat(captured).isPositive();
    }

    @Test
    void persistedRecordsAndRestoredHoldsRebuildTheSameService() throws Exception {
        MemoryWriter store = new MemoryWriter();
        PaymentService before = new PaymentService();
        before.seed(store);
        Hold committed = before.prepare("t-1", prepare(payment("acct-0001", 100)), NOW, store).hold();
        before.commit("t-1", committed, store);
        Hold rolledBack = before.prepare("t-2", prepare(payment("acct-0002", 200)), NOW, store).hold();
        before.rollback("t-2", rolledBack, store);
        Hold stillPrepared = before.prepare("t-3", prepare(payment("acct-0001", 300).setExpectedVersion(2)), NOW, store)
                .hold();
        Hold sharing = before.prepare("t-5", prepare(payment("acct-0002", 400)), NOW, store).hold();

        PaymentService after = new PaymentService();
        store.loadInto(after);
        after.restore("t-3", stillPrepared);
        after.restore("t-5", sharing);

        assertThat(after.totals()).isEqualTo(before.totals());
        for (PaymentService service : List.of(before, after)) {
            // acct-0001 came back held alone, acct-0002 shared.
            Decision locked = service.prepare("t-4", prepare(payment("acct-0001", 1)), NOW, new MemoryWriter());
            assertThat(locked.vote().getMessage()).isEqualTo("acct-0001 is held by prepared transaction t-3");
            Decision lockedByShared = service.prepare("t-4", prepare(payment("acct-0002", 1).setExpectedVersion(1)),
                    NOW, new MemoryWriter());
            assertThat(lockedByShared.vote().getMessage()).isEqualTo("acct-0002 is held by prepared transaction t-5");
        }
        Decision alongside = after.prepare("t-6", prepare(payment("acct-0002", 1)), NOW, new MemoryWriter());
        assertThat(alongside.isYes()).isTrue();
        after.rollback("t-6", alongside.hold(), new MemoryWriter());
        after.rollback("t-5", sharing, new MemoryWriter());
        after.rollback("t-3", stillPrepared, new MemoryWriter());
        assertThat(after.find("acct-0001")).isEqualTo(AccountRecord.newBuilder().setAccount("acct-0001")
                .setBalanceCents(99_999_900).setCapturedCents(100).setVersion(2).build());
        assertThat(after.heldRecords()).isZero();
    }

    private Vote refused(Prepare request, VoteCode code, String message) {
        return Fixtures.refused(service, service::heldRecords, out, request, code, message);
    }
}
