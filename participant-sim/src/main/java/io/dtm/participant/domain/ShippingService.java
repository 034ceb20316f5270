package io.dtm.participant.domain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.dtm.config.ServiceName;
import io.dtm.participant.store.DayRecord;
import io.dtm.participant.store.Hold;
import io.dtm.participant.store.ShipmentRecord;
import io.dtm.participant.store.ShippingHold;
import io.dtm.protocol.Sha256;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.participant.VoteCode;

import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Shipments per order and slots per date. PREPARE takes a slot of the date and creates a PENDING
 * shipment; COMMIT schedules it with a tracking id, ROLLBACK frees the slot and deletes it.
 *
 * <p>Only the shipment is held. The day is an escrow counter: its pending slots count against
 * capacity, so concurrent transactions can share a day without serialising on it.
 *
 * <p>The days are all in memory (one record a date). Shipments grow with the transactions: a
 * bounded cache of them is in memory, the others are read from the store when named.
 */
public final class ShippingService implements DomainService {

    public static final long CAPACITY_PER_DATE = 100_000L;
    /** Shipments kept in memory by default: see {@link #ShippingService(RecordReader, int)}. */
    public static final int DEFAULT_CACHE = 50_000;

    private static final String DAY_PREFIX = "rec/day/";
    private static final String SHIPMENT_PREFIX = "rec/shipment/";
    private static final HexFormat HEX = HexFormat.of().withUpperCase();
    // LocalDate.parse alone would also take signed years beyond 9999.
    private static final Pattern DATE = Pattern.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}");

    private final Map<String, DayRecord> days = new TreeMap<>();
    private final RecordCache<String, ShipmentRecord> shipments;
    private final HoldTable holds = new HoldTable();
    private static final long MILLIS_PER_DAY = 86_400_000L;
    /** The UTC day {@link #today} was computed for, and its text. */
    private long todayEpochDay = Long.MIN_VALUE;
    private String today;

    /** Keeps every shipment in memory and reads nothing back: for a caller that loads everything stored. */
    public ShippingService() {
        this(RecordReader.NONE, RecordCache.UNBOUNDED);
    }

    /** Keeps at most about {@code cacheCapacity} shipments in memory and reads the others from {@code store}. */
    public ShippingService(RecordReader store, int cacheCapacity) {
        this.shipments = new RecordCache<>(cacheCapacity,
                orderId -> store.get(shipmentKey(orderId), ShipmentRecord.parser()));
    }

    /** The record key of a date's counter, e.g. {@code rec/day/2026-12-24}. */
    public static String dayKey(String date) {
        return DAY_PREFIX + date;
    }

    /** The record key of an order's shipment, e.g. {@code rec/shipment/o-1}. */
    public static String shipmentKey(String orderId) {
        return SHIPMENT_PREFIX + orderId;
    }

    /**
     * The tracking id of a scheduled shipment: derived from the transaction and order, so a replica
     * or a restarted service computes the same one.
     */
    public static String trackingId(String attemptId, String orderId) {
        // The separator keeps ("t-1", "2o") and ("t-12", "o") apart.
        byte[] digest = Sha256.of((attemptId + "\n" + orderId).getBytes(StandardCharsets.UTF_8));
        return "TRK-" + HEX.formatHex(digest, 0, 5); // the first 10 hex digits
    }

    @Override
    public ServiceName name() {
        return ServiceName.SHIPPING;
    }

    @Override
    public void seed(RecordWriter out) {
        // Days and shipments only come from transactions: there is nothing to seed.
    }

    @Override
    public List<String> residentPrefixes() {
        return List.of(DAY_PREFIX);
    }

    @Override
    public void load(String key, byte[] value) throws InvalidProtocolBufferException {
        if (key.startsWith(DAY_PREFIX)) {
            days.put(Requests.idOf(name(), key, DAY_PREFIX), DayRecord.parseFrom(value));
        } else {
            shipments.put(Requests.idOf(name(), key, SHIPMENT_PREFIX), ShipmentRecord.parseFrom(value));
        }
    }

    @Override
    public Decision prepare(String attemptId, Prepare request, long nowMs, RecordWriter out) {
        if (request.getRequestCase() != Prepare.RequestCase.SHIPPING) {
            return Requests.wrongService(name(), request);
        }
        ShippingRequest shipping = request.getShipping();
        Optional<Decision> refusal = validate(shipping, nowMs).or(() -> check(attemptId, shipping));
        if (refusal.isPresent()) {
            return refusal.get();
        }
        String orderId = shipping.getOrderId();
        ShipmentRecord own = shipments.get(orderId);
        if (own != null) {
            // This transaction's own pending shipment (check() refused any other): its slot is taken already.
            holds.take(shipmentKey(orderId), attemptId, true);
            return Decision.yes(hold(orderId, own.getDate()));
        }
        String date = shipping.getDate();
        DayRecord day = day(date);
        writeDay(day.toBuilder().setPending(day.getPending() + 1).build(), out);
        writeShipment(ShipmentRecord.newBuilder().setOrderId(orderId).setAttemptId(attemptId).setDate(date)
                .setAddress(shipping.getAddress()).setStatus(ShipmentRecord.Status.PENDING)
                .setVersion(1).build(), out);
        holds.take(shipmentKey(orderId), attemptId, true);
        return Decision.yes(hold(orderId, date));
    }

    private static Hold hold(String orderId, String date) {
        return Hold.newBuilder().setShipping(ShippingHold.newBuilder().setOrderId(orderId).setDate(date)).build();
    }

    /** Order id, address, date format, then date not in the past. */
    private Optional<Decision> validate(ShippingRequest shipping, long nowMs) {
        if (shipping.getOrderId().isBlank()) {
            return Optional.of(Requests.invalid("order_id: missing"));
        }
        if (!shipping.hasAddress()) {
            return Optional.of(Decision.no(VoteCode.INVALID_ADDRESS, "address: missing"));
        }
        Address address = shipping.getAddress();
        String missing = address.getStreet().isBlank() ? "street"
                : address.getCity().isBlank() ? "city"
                : address.getZip().isBlank() ? "zip"
                : address.getCountry().isBlank() ? "country"
                : null;
        if (missing != null) {
            return Optional.of(Decision.no(VoteCode.INVALID_ADDRESS, "address." + missing + ": missing"));
        }
        String date = shipping.getDate();
        // A date with a counter was valid when it was first booked; only a new one is parsed.
        if (!days.containsKey(date) && !isValidDate(date)) {
            return Optional.of(Decision.no(VoteCode.INVALID_DATE,
                    "date \"" + date + "\": expected a valid YYYY-MM-DD date"));
        }
        // Dates of this shape, four-digit years and all, sort as text in the order of time.
        if (date.compareTo(today(nowMs)) < 0) {
            return Optional.of(Decision.no(VoteCode.PAST_DATE, date + " is in the past"));
        }
        return Optional.empty();
    }

    /** Today's date (UTC) as YYYY-MM-DD, computed once a day. */
    private String today(long nowMs) {
        long epochDay = Math.floorDiv(nowMs, MILLIS_PER_DAY);
        if (epochDay != todayEpochDay) {
            today = LocalDate.ofEpochDay(epochDay).toString();
            todayEpochDay = epochDay;
        }
        return today;
    }

    /** Duplicate shipment, then capacity. */
    private Optional<Decision> check(String attemptId, ShippingRequest shipping) {
        ShipmentRecord existing = shipments.get(shipping.getOrderId());
        if (existing != null) {
            if (existing.getAttemptId().equals(attemptId) && existing.getStatus() == ShipmentRecord.Status.PENDING) {
                return Optional.empty();
            }
            // No lock check: a pending shipment is held, but the order is taken whatever its outcome,
            // so DUPLICATE_ORDER says more than LOCKED would.
            return Optional.of(Decision.no(VoteCode.DUPLICATE_ORDER, "shipment of order " + shipping.getOrderId()
                    + " already exists (transaction " + existing.getAttemptId() + ")"));
        }
        DayRecord day = day(shipping.getDate());
        long taken = day.getPending() + day.getScheduled();
        if (taken >= CAPACITY_PER_DATE) {
            return Optional.of(Decision.no(VoteCode.NO_CAPACITY, shipping.getDate() + ": no capacity left ("
                    + taken + " of " + CAPACITY_PER_DATE + " taken)"));
        }
        return Optional.empty();
    }

    private static boolean isValidDate(String text) {
        if (!DATE.matcher(text).matches()) {
            return false;
        }
        try {
            LocalDate.parse(text);
            return true;
        } catch (DateTimeException e) {
            // Well shaped but no such day, e.g. 2026-02-30.
            return false;
        }
    }

    @Override
    public void restore(String attemptId, Hold hold) {
        holds.take(shipmentKey(shippingHold(hold).getOrderId()), attemptId, true);
    }

    @Override
    public void commit(String attemptId, Hold hold, RecordWriter out) {
        ShippingHold shipping = shippingHold(hold);
        ShipmentRecord shipment = require(shipping.getOrderId(), attemptId);
        DayRecord day = day(shipment.getDate());
        writeDay(day.toBuilder().setPending(day.getPending() - 1).setScheduled(day.getScheduled() + 1).build(), out);
        writeShipment(shipment.toBuilder().setStatus(ShipmentRecord.Status.SCHEDULED)
                .setTrackingId(trackingId(attemptId, shipment.getOrderId()))
                .setVersion(shipment.getVersion() + 1).build(), out);
        holds.release(shipmentKey(shipping.getOrderId()), attemptId);
    }

    @Override
    public void rollback(String attemptId, Hold hold, RecordWriter out) {
        ShippingHold shipping = shippingHold(hold);
        ShipmentRecord shipment = require(shipping.getOrderId(), attemptId);
        DayRecord day = day(shipment.getDate());
        writeDay(day.toBuilder().setPending(day.getPending() - 1).build(), out);
        shipments.delete(shipping.getOrderId());
        out.delete(shipmentKey(shipping.getOrderId()));
        holds.release(shipmentKey(shipping.getOrderId()), attemptId);
    }

    @Override
    public void endBatch(RecordWriter out) {
        shipments.endBatch();
    }

    @Override
    public Map<String, Long> totals() {
        long scheduled = 0;
        long pending = 0;
        for (DayRecord day : days.values()) {
            scheduled += day.getScheduled();
            pending += day.getPending();
        }
        Map<String, Long> totals = new LinkedHashMap<>();
        totals.put("scheduled", scheduled);
        totals.put("pending", pending);
        return totals;
    }

    @Override
    public List<String> describe(Hold hold) {
        ShippingHold shipping = shippingHold(hold);
        return List.of("shipment of " + shipping.getOrderId() + " on " + shipping.getDate());
    }

    /** The current shipment of an order, or null when there is none. */
    ShipmentRecord findShipment(String orderId) {
        return shipments.get(orderId);
    }

    /** The current counter of a date, or null when nothing was ever booked on it. */
    DayRecord findDay(String date) {
        return days.get(date);
    }

    int heldRecords() {
        return holds.size();
    }

    /** A date's counter; a date never booked has every slot free. */
    private DayRecord day(String date) {
        DayRecord day = days.get(date);
        return day != null ? day : DayRecord.newBuilder().setDate(date).build();
    }

    private ShippingHold shippingHold(Hold hold) {
        Requests.requireHold(name(), hold, Hold.HoldCase.SHIPPING);
        return hold.getShipping();
    }

    /** The shipment {@code attemptId} created; finishing any other would change someone else's. */
    private ShipmentRecord require(String orderId, String attemptId) {
        ShipmentRecord shipment = shipments.get(orderId);
        if (shipment == null || !shipment.getAttemptId().equals(attemptId)) {
            throw new IllegalStateException("transaction " + attemptId + " has no shipment of order " + orderId);
        }
        return shipment;
    }

    private void writeDay(DayRecord day, RecordWriter out) {
        days.put(day.getDate(), day);
        out.put(dayKey(day.getDate()), day);
    }

    private void writeShipment(ShipmentRecord shipment, RecordWriter out) {
        shipments.put(shipment.getOrderId(), shipment);
        out.put(shipmentKey(shipment.getOrderId()), shipment);
    }
}
