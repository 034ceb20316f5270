package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.participant.store.AccountRecord;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.PaymentHold;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.VoteCode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Money per account. PREPARE moves the amount from balance to held and holds the account; COMMIT
 * captures it, ROLLBACK returns it, so balance + held + captured never changes.
 *
 * <p>A payment with an expected version holds its account alone (optimistic concurrency). One
 * without shares the account with other such holds: its amount has left the balance already, so
 * concurrent payments from one account need not turn each other away (escrow). See {@link HoldTable}.
 */
public final class PaymentService implements DomainService {

    public static final int ACCOUNT_COUNT = 1000;
    public static final long INITIAL_BALANCE_CENTS = 100_000_000L;
    /** Total seeded money: the conservation check compares against this, not against the records. */
    public static final long INITIAL_TOTAL_CENTS = ACCOUNT_COUNT * INITIAL_BALANCE_CENTS;
    /** Largest amount of one payment; keeps sums of amounts far from overflow. */
    public static final long MAX_AMOUNT_CENTS = 1_000_000_000_000L;

    private static final String PREFIX = "rec/account/";

    private final Map<String, AccountRecord> accounts = new TreeMap<>();
    private final HoldTable holds = new HoldTable();

    /** The record key of an account, e.g. {@code rec/account/acct-0001}. */
    public static String key(String account) {
        return PREFIX + account;
    }

    /** The id of the n-th seeded account, e.g. {@code acct-0001}. */
    public static String accountId(int n) {
        return String.format("acct-%04d", n);
    }

    @Override
    public ServiceName name() {
        return ServiceName.PAYMENT;
    }

    @Override
    public void seed(RecordWriter out) {
        for (int n = 0; n < ACCOUNT_COUNT; n++) {
            write(AccountRecord.newBuilder().setAccount(accountId(n))
                    .setBalanceCents(INITIAL_BALANCE_CENTS).setVersion(1).build(), out);
        }
    }

    @Override
    public List<String> residentPrefixes() {
        return List.of(PREFIX);
    }

    @Override
    public void load(String key, byte[] value) throws InvalidProtocolBufferException {
        accounts.put(Requests.idOf(name(), key, PREFIX), AccountRecord.parseFrom(value));
    }

    @Override
    public Decision prepare(String attemptId, Prepare request, long nowMs, RecordWriter out) {
        if (request.getRequestCase() != Prepare.RequestCase.PAYMENT) {
            return Requests.wrongService(name(), request);
        }
        PaymentRequest payment = request.getPayment();
        Optional<Decision> refusal = validate(payment).or(() -> check(attemptId, payment, nowMs));
        if (refusal.isPresent()) {
            return refusal.get();
        }
        AccountRecord record = accounts.get(payment.getAccount());
        long amount = payment.getAmountCents();
        write(record.toBuilder().setBalanceCents(record.getBalanceCents() - amount)
                .setHeldCents(record.getHeldCents() + amount).build(), out);
        boolean exclusive = payment.hasExpectedVersion();
        holds.take(key(payment.getAccount()), attemptId, exclusive);
        // check() accepted the card, so its digits are there; only the last four are kept.
        String last4 = Cards.last4(Cards.digits(payment.getCard()).orElseThrow());
        return Decision.yes(Hold.newBuilder().setPayment(PaymentHold.newBuilder()
                .setAccount(payment.getAccount()).setAmountCents(amount).setCardLast4(last4).setShared(!exclusive))
                .build());
    }

    private static Optional<Decision> validate(PaymentRequest payment) {
        if (payment.getAccount().isBlank()) {
            return Optional.of(Requests.invalid("account: missing"));
        }
        if (payment.getCard().isBlank()) {
            return Optional.of(Requests.invalid("card: missing"));
        }
        if (payment.getExpiry().isBlank()) {
            return Optional.of(Requests.invalid("expiry: missing"));
        }
        long amount = payment.getAmountCents();
        if (amount <= 0) {
            return Optional.of(Requests.invalid("amount_cents: must be positive, got " + amount));
        }
        if (amount > MAX_AMOUNT_CENTS) {
            return Optional.of(Requests.invalid(
                    "amount_cents: must be at most " + MAX_AMOUNT_CENTS + ", got " + amount));
        }
        return Optional.empty();
    }

    /** Unknown account, lock, version, card, funds: the first failure wins. */
    private Optional<Decision> check(String attemptId, PaymentRequest payment, long nowMs) {
        String account = payment.getAccount();
        AccountRecord record = accounts.get(account);
        if (record == null) {
            return Optional.of(Decision.no(VoteCode.UNKNOWN_ACCOUNT, account + ": unknown account"));
        }
        Optional<String> holder = holds.conflict(key(account), attemptId, payment.hasExpectedVersion());
        if (holder.isPresent()) {
            return Optional.of(Decision.locked(account, holder.get()));
        }
        if (payment.hasExpectedVersion() && payment.getExpectedVersion() != record.getVersion()) {
            return Optional.of(Decision.stale(account, payment.getExpectedVersion(), record.getVersion()));
        }
        Optional<Decision> card = Cards.refusal(payment.getCard(), payment.getExpiry(), nowMs);
        if (card.isPresent()) {
            return card;
        }
        if (record.getBalanceCents() < payment.getAmountCents()) {
            return Optional.of(Decision.no(VoteCode.INSUFFICIENT_FUNDS, account + ": balance "
                    + record.getBalanceCents() + " cents, requested " + payment.getAmountCents()));
        }
        return Optional.empty();
    }

    @Override
    public void restore(String attemptId, Hold hold) {
        PaymentHold payment = paymentHold(hold);
        holds.take(key(payment.getAccount()), attemptId, !payment.getShared());
    }

    @Override
    public void commit(String attemptId, Hold hold, RecordWriter out) {
        PaymentHold payment = paymentHold(hold);
        AccountRecord record = require(payment.getAccount());
        write(record.toBuilder().setHeldCents(record.getHeldCents() - payment.getAmountCents())
                .setCapturedCents(record.getCapturedCents() + payment.getAmountCents())
                .setVersion(record.getVersion() + 1).build(), out);
        holds.release(key(payment.getAccount()), attemptId);
    }

    @Override
    public void rollback(String attemptId, Hold hold, RecordWriter out) {
        PaymentHold payment = paymentHold(hold);
        AccountRecord record = require(payment.getAccount());
        write(record.toBuilder().setHeldCents(record.getHeldCents() - payment.getAmountCents())
                .setBalanceCents(record.getBalanceCents() + payment.getAmountCents()).build(), out);
        holds.release(key(payment.getAccount()), attemptId);
    }

    @Override
    public Map<String, Long> totals() {
        long balance = 0;
        long held = 0;
        long captured = 0;
        for (AccountRecord record : accounts.values()) {
            balance += record.getBalanceCents();
            held += record.getHeldCents();
            captured += record.getCapturedCents();
        }
        Map<String, Long> totals = new LinkedHashMap<>();
        totals.put("initialBalanceCents", INITIAL_TOTAL_CENTS);
        totals.put("balanceCents", balance);
        totals.put("heldCents", held);
        totals.put("capturedCents", captured);
        return totals;
    }

    @Override
    public List<String> describe(Hold hold) {
        PaymentHold payment = paymentHold(hold);
        return List.of("hold " + payment.getAmountCents() + " cents on " + payment.getAccount()
                + " (card ending " + payment.getCardLast4() + ")");
    }

    /** The current record of an account, or null when unknown. */
    AccountRecord find(String account) {
        return accounts.get(account);
    }

    int heldRecords() {
        return holds.size();
    }

    private PaymentHold paymentHold(Hold hold) {
        Requests.requireHold(name(), hold, Hold.HoldCase.PAYMENT);
        return hold.getPayment();
    }

    private AccountRecord require(String account) {
        AccountRecord record = accounts.get(account);
        if (record == null) {
            throw new IllegalStateException("hold names unknown account " + account);
        }
        return record;
    }

    private void write(AccountRecord record, RecordWriter out) {
        accounts.put(record.getAccount(), record);
        out.put(key(record.getAccount()), record);
    }
}
