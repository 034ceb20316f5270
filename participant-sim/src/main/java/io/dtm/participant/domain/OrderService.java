package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.OrderHold;
import io.dtm.participant.store.OrderRecord;
import io.dtm.participant.store.OrderTotals;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.VoteCode;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Orders by id. PREPARE creates a PENDING order and holds it; COMMIT confirms it, ROLLBACK deletes
 * it. An order id names one order forever: a second transaction using it is refused.
 *
 * <p>Orders grow with the transactions: a bounded cache of them is in memory, the others are read
 * from the store when named. The confirmed and pending counts are kept as orders change, in a
 * record of their own ({@code rec/totals/order}), the only one loaded at startup.
 */
public final class OrderService implements DomainService {

    public static final int MAX_ORDER_ID_LENGTH = 128;
    /** Orders kept in memory by default: see {@link #OrderService(RecordReader, int)}. */
    public static final int DEFAULT_CACHE = 50_000;

    private static final String PREFIX = "rec/order/";
    private static final String TOTALS_PREFIX = "rec/totals/";
    private static final String TOTALS_KEY = TOTALS_PREFIX + "order";

    private final RecordReader store;
    private final RecordCache<String, OrderRecord> orders;
    private final HoldTable holds = new HoldTable();
    private long confirmed;
    private long pending;
    /** The counts changed since they were last written. */
    private boolean totalsChanged;

    /** Keeps every order in memory and reads nothing back: for a caller that loads everything stored. */
    public OrderService() {
        this(RecordReader.NONE, RecordCache.UNBOUNDED);
    }

    /** Keeps at most about {@code cacheCapacity} orders in memory and reads the others from {@code store}. */
    public OrderService(RecordReader store, int cacheCapacity) {
        this.store = store;
        this.orders = new RecordCache<>(cacheCapacity, id -> store.get(key(id), OrderRecord.parser()));
    }

    /** The record key of an order, e.g. {@code rec/order/o-1}. */
    public static String key(String orderId) {
        return PREFIX + orderId;
    }

    @Override
    public ServiceName name() {
        return ServiceName.ORDER;
    }

    @Override
    public void seed(RecordWriter out) {
        // Orders only come from transactions: there is nothing to seed.
    }

    @Override
    public List<String> residentPrefixes() {
        return List.of(TOTALS_PREFIX);
    }

    @Override
    public void load(String key, byte[] value) throws InvalidProtocolBufferException {
        if (key.equals(TOTALS_KEY)) {
            OrderTotals totals = OrderTotals.parseFrom(value);
            confirmed = totals.getConfirmed();
            pending = totals.getPending();
        } else {
            orders.put(Requests.idOf(name(), key, PREFIX), OrderRecord.parseFrom(value));
        }
    }

    /** Counts every order, those in memory as they are there, the others as stored. */
    @Override
    public void upgradeStore() {
        confirmed = 0;
        pending = 0;
        store.forEach(PREFIX, (key, value) -> {
            if (!orders.contains(Requests.idOf(name(), key, PREFIX))) {
                count(RecordReader.parse(key, value, OrderRecord.parser()), 1);
            }
        });
        orders.forEach((id, record) -> {
            if (record != null) {
                count(record, 1);
            }
        });
        totalsChanged = true;
    }

    @Override
    public Decision prepare(String attemptId, Prepare request, long nowMs, RecordWriter out) {
        if (request.getRequestCase() != Prepare.RequestCase.ORDER) {
            return Requests.wrongService(name(), request);
        }
        OrderRequest order = request.getOrder();
        Optional<Decision> invalid = validate(order);
        if (invalid.isPresent()) {
            return invalid.get();
        }
        String orderId = order.getOrderId();
        Hold hold = Hold.newBuilder().setOrder(OrderHold.newBuilder().setOrderId(orderId)).build();
        OrderRecord existing = orders.get(orderId);
        if (existing != null) {
            // A PENDING order of another transaction is also held by it, but the id is taken
            // whatever its outcome, so DUPLICATE_ORDER says more than LOCKED would.
            if (!existing.getAttemptId().equals(attemptId) || existing.getStatus() != OrderRecord.Status.PENDING) {
                return Decision.no(VoteCode.DUPLICATE_ORDER,
                        "order " + orderId + " already exists (transaction " + existing.getAttemptId() + ")");
            }
            // This transaction's own pending order: it already holds it, so there is nothing to redo.
            holds.take(key(orderId), attemptId, true);
            return Decision.yes(hold);
        }
        write(OrderRecord.newBuilder().setOrderId(orderId).setAttemptId(attemptId).setCustomer(order.getCustomer())
                .addAllLines(order.getLinesList()).setStatus(OrderRecord.Status.PENDING)
                .setVersion(1).build(), null, out);
        holds.take(key(orderId), attemptId, true);
        return Decision.yes(hold);
    }

    private static Optional<Decision> validate(OrderRequest order) {
        if (order.getOrderId().isBlank()) {
            return Optional.of(Requests.invalid("order_id: missing"));
        }
        if (order.getOrderId().length() > MAX_ORDER_ID_LENGTH) {
            return Optional.of(Requests.invalid("order_id: longer than " + MAX_ORDER_ID_LENGTH
                    + " characters (got " + order.getOrderId().length() + ")"));
        }
        if (order.getCustomer().isBlank()) {
            return Optional.of(Requests.invalid("customer: missing"));
        }
        if (order.getLinesCount() == 0) {
            return Optional.of(Requests.invalid("lines: must not be empty"));
        }
        for (int i = 0; i < order.getLinesCount(); i++) {
            OrderLine line = order.getLines(i);
            String field = "lines[" + i + "]";
            if (line.getSku().isBlank()) {
                return Optional.of(Requests.invalid(field + ".sku: missing"));
            }
            if (line.getQty() <= 0) {
                return Optional.of(Requests.invalid(field + ".qty: must be positive, got " + line.getQty()));
            }
            if (line.getPriceCents() < 0) {
                return Optional.of(Requests.invalid(
                        field + ".price_cents: must not be negative, got " + line.getPriceCents()));
            }
        }
        return Optional.empty();
    }

    @Override
    public void restore(String attemptId, Hold hold) {
        holds.take(key(orderHold(hold).getOrderId()), attemptId, true);
    }

    @Override
    public void commit(String attemptId, Hold hold, RecordWriter out) {
        String orderId = orderHold(hold).getOrderId();
        OrderRecord record = require(orderId, attemptId);
        write(record.toBuilder().setStatus(OrderRecord.Status.CONFIRMED)
                .setVersion(record.getVersion() + 1).build(), record, out);
        holds.release(key(orderId), attemptId);
    }

    @Override
    public void rollback(String attemptId, Hold hold, RecordWriter out) {
        String orderId = orderHold(hold).getOrderId();
        OrderRecord record = require(orderId, attemptId);
        orders.delete(orderId);
        out.delete(key(orderId));
        count(record, -1);
        holds.release(key(orderId), attemptId);
    }

    @Override
    public void endBatch(RecordWriter out) {
        if (totalsChanged) {
            out.put(TOTALS_KEY, OrderTotals.newBuilder().setConfirmed(confirmed).setPending(pending).build());
            totalsChanged = false;
        }
        orders.endBatch();
    }

    @Override
    public Map<String, Long> totals() {
        Map<String, Long> totals = new LinkedHashMap<>();
        totals.put("confirmed", confirmed);
        totals.put("pending", pending);
        return totals;
    }

    @Override
    public List<String> describe(Hold hold) {
        String orderId = orderHold(hold).getOrderId();
        OrderRecord record = orders.get(orderId);
        if (record == null) {
            // Rolled back: the lines went with the record.
            return List.of("order " + orderId);
        }
        // BigInteger: qty and price are each bounded only by int64, so their product may not be.
        BigInteger total = BigInteger.ZERO;
        for (OrderLine line : record.getLinesList()) {
            BigInteger qty = BigInteger.valueOf(line.getQty());
            total = total.add(qty.multiply(BigInteger.valueOf(line.getPriceCents())));
        }
        int lines = record.getLinesCount();
        String count = lines + (lines == 1 ? " line" : " lines");
        return List.of("order " + orderId + " (" + count + ", " + total + " cents)");
    }

    /** The current record of an order, or null when there is none. */
    OrderRecord find(String orderId) {
        return orders.get(orderId);
    }

    int heldRecords() {
        return holds.size();
    }

    private OrderHold orderHold(Hold hold) {
        Requests.requireHold(name(), hold, Hold.HoldCase.ORDER);
        return hold.getOrder();
    }

    /** The order {@code attemptId} created; finishing any other order would change someone else's. */
    private OrderRecord require(String orderId, String attemptId) {
        OrderRecord record = orders.get(orderId);
        if (record == null || !record.getAttemptId().equals(attemptId)) {
            throw new IllegalStateException("transaction " + attemptId + " has no order " + orderId);
        }
        return record;
    }

    /** Stores the new version of an order ({@code before}: its previous one, null for a new one). */
    private void write(OrderRecord record, OrderRecord before, RecordWriter out) {
        orders.put(record.getOrderId(), record);
        out.put(key(record.getOrderId()), record);
        if (before != null) {
            count(before, -1);
        }
        count(record, 1);
    }

    private void count(OrderRecord record, int change) {
        if (record.getStatus() == OrderRecord.Status.CONFIRMED) {
            confirmed += change;
        } else {
            pending += change;
        }
        totalsChanged = true;
    }
}
