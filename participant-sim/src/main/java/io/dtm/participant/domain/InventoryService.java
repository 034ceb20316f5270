package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.InventoryHold;
import io.dtm.participant.store.Reservation;
import io.dtm.participant.store.SkuRecord;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.VoteCode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Stock per SKU. PREPARE moves stock from available to reserved and holds the SKUs; COMMIT moves
 * it to sold, ROLLBACK back to available, so available + reserved + sold never changes.
 *
 * <p>An item with an expected version holds its SKU alone (optimistic concurrency: the SKU must not
 * change until this transaction commits). An item without one shares the SKU with other such
 * reservations: its quantity has left "available" already, so concurrent orders of a SKU need not
 * turn each other away (escrow). See {@link HoldTable}.
 */
public final class InventoryService implements DomainService {

    public static final int SKU_COUNT = 1000;
    public static final long INITIAL_AVAILABLE = 1_000_000L;
    /** Total seeded stock: the conservation check compares against this, not against the records. */
    public static final long INITIAL_STOCK = SKU_COUNT * INITIAL_AVAILABLE;
    /** Largest quantity of one item; keeps sums of quantities far from overflow. */
    public static final long MAX_QTY = 1_000_000_000L;

    private static final String PREFIX = "rec/sku/";

    private final Map<String, SkuRecord> skus = new TreeMap<>();
    private final HoldTable holds = new HoldTable();

    /** The record key of a SKU, e.g. {@code rec/sku/sku-0042}. */
    public static String key(String sku) {
        return PREFIX + sku;
    }

    /** The id of the n-th seeded SKU, e.g. {@code sku-0042}. */
    public static String skuId(int n) {
        return String.format("sku-%04d", n);
    }

    @Override
    public ServiceName name() {
        return ServiceName.INVENTORY;
    }

    @Override
    public void seed(RecordWriter out) {
        for (int n = 0; n < SKU_COUNT; n++) {
            String sku = skuId(n);
            write(SkuRecord.newBuilder().setSku(sku).setAvailable(INITIAL_AVAILABLE).setVersion(1).build(), out);
        }
    }

    @Override
    public List<String> residentPrefixes() {
        return List.of(PREFIX);
    }

    @Override
    public void load(String key, byte[] value) throws InvalidProtocolBufferException {
        skus.put(Requests.idOf(name(), key, PREFIX), SkuRecord.parseFrom(value));
    }

    @Override
    public Decision prepare(String attemptId, Prepare request, long nowMs, RecordWriter out) {
        if (request.getRequestCase() != Prepare.RequestCase.INVENTORY) {
            return Requests.wrongService(name(), request);
        }
        InventoryRequest inventory = request.getInventory();
        Map<String, Long> wanted = new LinkedHashMap<>();
        Set<String> versioned = versionedSkus(inventory);
        Optional<Decision> refusal = validate(inventory, wanted).or(() -> check(attemptId, inventory, wanted, versioned));
        if (refusal.isPresent()) {
            return refusal.get();
        }
        InventoryHold.Builder hold = InventoryHold.newBuilder();
        wanted.forEach((sku, qty) -> {
            SkuRecord record = skus.get(sku);
            write(record.toBuilder().setAvailable(record.getAvailable() - qty)
                    .setReserved(record.getReserved() + qty).build(), out);
            boolean exclusive = versioned.contains(sku);
            holds.take(key(sku), attemptId, exclusive);
            hold.addReservations(Reservation.newBuilder().setSku(sku).setQty(qty).setShared(!exclusive));
        });
        return Decision.yes(Hold.newBuilder().setInventory(hold).build());
    }

    /** Checks the request's shape and sums the quantity per SKU into {@code wanted}; empty when well formed. */
    private static Optional<Decision> validate(InventoryRequest inventory, Map<String, Long> wanted) {
        if (inventory.getItemsCount() == 0) {
            return Optional.of(Requests.invalid("items: must not be empty"));
        }
        for (int i = 0; i < inventory.getItemsCount(); i++) {
            Item item = inventory.getItems(i);
            String field = "items[" + i + "]";
            if (item.getSku().isBlank()) {
                return Optional.of(Requests.invalid(field + ".sku: missing"));
            }
            if (item.getQty() <= 0) {
                return Optional.of(Requests.invalid(field + ".qty: must be positive, got " + item.getQty()));
            }
            if (item.getQty() > MAX_QTY) {
                return Optional.of(Requests.invalid(
                        field + ".qty: must be at most " + MAX_QTY + ", got " + item.getQty()));
            }
            wanted.merge(item.getSku(), item.getQty(), Long::sum);
        }
        return Optional.empty();
    }

    /** Unknown SKUs, then locks, then versions, then stock: the first failure wins. */
    private Optional<Decision> check(String attemptId, InventoryRequest inventory, Map<String, Long> wanted,
            Set<String> versioned) {
        for (String sku : wanted.keySet()) {
            if (!skus.containsKey(sku)) {
                return Optional.of(Decision.no(VoteCode.UNKNOWN_SKU, sku + ": unknown SKU"));
            }
        }
        for (String sku : wanted.keySet()) {
            Optional<String> holder = holds.conflict(key(sku), attemptId, versioned.contains(sku));
            if (holder.isPresent()) {
                return Optional.of(Decision.locked(sku, holder.get()));
            }
        }
        for (Item item : inventory.getItemsList()) {
            long current = skus.get(item.getSku()).getVersion();
            if (item.hasExpectedVersion() && item.getExpectedVersion() != current) {
                return Optional.of(Decision.stale(item.getSku(), item.getExpectedVersion(), current));
            }
        }
        for (Map.Entry<String, Long> entry : wanted.entrySet()) {
            long available = skus.get(entry.getKey()).getAvailable();
            if (entry.getValue() > available) {
                return Optional.of(Decision.no(VoteCode.INSUFFICIENT_STOCK,
                        entry.getKey() + ": requested " + entry.getValue() + ", available " + available));
            }
        }
        return Optional.empty();
    }

    /** The SKUs some item names an expected version for: those are held alone. */
    private static Set<String> versionedSkus(InventoryRequest inventory) {
        Set<String> versioned = null;
        for (Item item : inventory.getItemsList()) {
            if (item.hasExpectedVersion()) {
                if (versioned == null) {
                    versioned = new HashSet<>();
                }
                versioned.add(item.getSku());
            }
        }
        return versioned == null ? Set.of() : versioned;
    }

    @Override
    public void restore(String attemptId, Hold hold) {
        for (Reservation reservation : reservations(hold)) {
            holds.take(key(reservation.getSku()), attemptId, !reservation.getShared());
        }
    }

    @Override
    public void commit(String attemptId, Hold hold, RecordWriter out) {
        for (Reservation reservation : reservations(hold)) {
            SkuRecord record = require(reservation.getSku());
            write(record.toBuilder().setReserved(record.getReserved() - reservation.getQty())
                    .setSold(record.getSold() + reservation.getQty())
                    .setVersion(record.getVersion() + 1).build(), out);
            holds.release(key(reservation.getSku()), attemptId);
        }
    }

    @Override
    public void rollback(String attemptId, Hold hold, RecordWriter out) {
        for (Reservation reservation : reservations(hold)) {
            SkuRecord record = require(reservation.getSku());
            write(record.toBuilder().setReserved(record.getReserved() - reservation.getQty())
                    .setAvailable(record.getAvailable() + reservation.getQty()).build(), out);
            holds.release(key(reservation.getSku()), attemptId);
        }
    }

    @Override
    public Map<String, Long> totals() {
        long available = 0;
        long reserved = 0;
        long sold = 0;
        for (SkuRecord record : skus.values()) {
            available += record.getAvailable();
            reserved += record.getReserved();
            sold += record.getSold();
        }
        Map<String, Long> totals = new LinkedHashMap<>();
        totals.put("initialStock", INITIAL_STOCK);
        totals.put("available", available);
        totals.put("reserved", reserved);
        totals.put("sold", sold);
        return totals;
    }

    @Override
    public List<String> describe(Hold hold) {
        List<String> effects = new ArrayList<>();
        for (Reservation reservation : reservations(hold)) {
            effects.add("reserve " + reservation.getSku() + " x" + reservation.getQty());
        }
        return effects;
    }

    /** The current record of a SKU, or null when unknown. */
    SkuRecord find(String sku) {
        return skus.get(sku);
    }

    int heldRecords() {
        return holds.size();
    }

    private List<Reservation> reservations(Hold hold) {
        Requests.requireHold(name(), hold, Hold.HoldCase.INVENTORY);
        return hold.getInventory().getReservationsList();
    }

    private SkuRecord require(String sku) {
        SkuRecord record = skus.get(sku);
        if (record == null) {
            throw new IllegalStateException("hold names unknown SKU " + sku);
        }
        return record;
    }

    private void write(SkuRecord record, RecordWriter out) {
        skus.put(record.getSku(), record);
        out.put(key(record.getSku()), record);
    }
}
