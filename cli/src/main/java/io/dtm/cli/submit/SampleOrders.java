package io.dtm.cli.submit;

import io.dtm.cli.Json;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A stream of orders as JSON lines (the input of {@code dtm submit}), each with the outcome it
 * must come to: ordinary orders over distinct SKUs and accounts, and every kind of failure a user
 * meets (insufficient stock, declined, invalid and expired cards, insufficient funds, a duplicate
 * order id, a past shipping date, a stale version, an unknown SKU and account, a bad address, an
 * invalid request, malformed lines). The same seed gives the same stream.
 *
 * <p>SKUs and accounts from 900 up are kept for the failure cases, so that ordinary orders never
 * change what those cases see (a version, a balance).
 */
public final class SampleOrders {
    /** The card the ordinary orders pay with; it passes the Luhn check and the issuer accepts it. */
    public static final String GOOD_CARD = "4111111111111111";
    /** The reason a new leader gives an attempt that was in flight, undecided, when the old one died. */
    public static final String FAILOVER = "coordinator failover";
    private static final int ORDINARY_KEYS = 900;

    /**
     * What one line must come to. {@code status} is COMMITTED, ABORTED or REJECTED and, unless
     * committed, {@code error} is a fragment of the error; or {@code duplicateOf} names the line
     * whose order id this one reuses, and exactly one of the two commits (which one depends on
     * which reaches the order service first), the other aborting with DUPLICATE_ORDER.
     */
    public record Expect(String status, String error, Integer duplicateOf) {
        public static Expect committed() {
            return new Expect("COMMITTED", null, null);
        }

        public static Expect aborted(String error) {
            return new Expect("ABORTED", error, null);
        }

        public static Expect rejected(String error) {
            return new Expect("REJECTED", error, null);
        }
    }

    /** One input line (numbered from 1), its tid (null when the line has none) and what it must come to. */
    public record Sample(int line, String tid, String json, Expect expect) {
    }

    private final Random random;
    private final LocalDate today;
    private final String tidPrefix;
    private final List<Sample> samples = new ArrayList<>();

    private SampleOrders(long seed, LocalDate today, String tidPrefix) {
        this.random = new Random(seed);
        this.today = today;
        this.tidPrefix = tidPrefix;
    }

    /**
     * {@code ordinary} well-formed orders (most touching all four services, some a subset) with
     * the failure cases spread among them; tids are {@code tidPrefix} and the line number.
     */
    public static List<Sample> stream(int ordinary, long seed, LocalDate today, String tidPrefix) {
        SampleOrders s = new SampleOrders(seed, today, tidPrefix);
        List<Runnable> failures = s.failureCases();
        int every = Math.max(1, ordinary / failures.size());
        int next = 0;
        for (int i = 0; i < ordinary; i++) {
            s.ordinary(i);
            if (i % every == every / 2 && next < failures.size()) {
                failures.get(next++).run();
            }
        }
        while (next < failures.size()) {
            failures.get(next++).run();
        }
        return List.copyOf(s.samples);
    }

    /** Only well-formed orders over distinct keys (all of them commit on a fresh cluster). */
    public static List<Sample> ordinaryOnly(int count, long seed, LocalDate today, String tidPrefix) {
        SampleOrders s = new SampleOrders(seed, today, tidPrefix);
        for (int i = 0; i < count; i++) {
            s.ordinary(i);
        }
        return List.copyOf(s.samples);
    }

    private List<Runnable> failureCases() {
        return List.of(
                () -> add(order(901, 1_500_000, GOOD_CARD, 12_50), Expect.aborted("inventory: INSUFFICIENT_STOCK")),
                () -> add(order(902, 1, "4000000000000002", 12_50), Expect.aborted("payment: CARD_DECLINED")),
                () -> add(order(903, 1, "4111111111111112", 12_50), Expect.aborted("payment: INVALID_CARD")),
                () -> {
                    Map<String, Object> o = order(904, 1, GOOD_CARD, 12_50);
                    service(o, "payment").put("expiry", "01/21");
                    add(o, Expect.aborted("payment: CARD_EXPIRED"));
                },
                () -> add(order(905, 1, GOOD_CARD, 150_000_000), Expect.aborted("payment: INSUFFICIENT_FUNDS")),
                this::duplicateOrderId,
                () -> {
                    Map<String, Object> o = order(906, 1, GOOD_CARD, 12_50);
                    service(o, "shipping").put("date", "2020-01-01");
                    add(o, Expect.aborted("shipping: PAST_DATE"));
                },
                () -> add(expectVersion(order(907, 2, GOOD_CARD, 25_00), 7), Expect.aborted("inventory: STALE_VERSION")),
                () -> add(expectVersion(order(908, 2, GOOD_CARD, 25_00), 1), Expect.committed()),
                () -> {
                    Map<String, Object> o = order(909, 1, GOOD_CARD, 12_50);
                    item(o).put("sku", "sku-9999");
                    add(o, Expect.aborted("inventory: UNKNOWN_SKU"));
                },
                () -> {
                    Map<String, Object> o = order(910, 1, GOOD_CARD, 12_50);
                    service(o, "payment").put("account", "acct-9999");
                    add(o, Expect.aborted("payment: UNKNOWN_ACCOUNT"));
                },
                () -> {
                    Map<String, Object> o = order(911, 1, GOOD_CARD, 12_50);
                    address(o).remove("zip");
                    add(o, Expect.aborted("shipping: INVALID_ADDRESS"));
                },
                () -> {
                    Map<String, Object> o = order(912, 1, GOOD_CARD, 12_50);
                    item(o).put("qty", -3);
                    add(o, Expect.rejected("inventory.items[0].qty: must be positive"));
                },
                () -> addRaw("{\"tid\":\"" + tid() + "\",\"services\":{\"payment\":{\"account\":\"acct-0913\"",
                        tid(), Expect.rejected("not valid JSON")),
                () -> {
                    Map<String, Object> o = order(914, 1, GOOD_CARD, 12_50);
                    services(o).put("loyalty", Map.of("points", 10));
                    add(o, Expect.rejected("services.loyalty: unknown service"));
                },
                () -> {
                    Map<String, Object> o = order(915, 1, GOOD_CARD, 12_50);
                    item(o).put("qty", "two");
                    add(o, Expect.rejected("services.inventory.items[0].qty: expected a whole number"));
                },
                () -> {
                    Map<String, Object> o = order(916, 1, GOOD_CARD, 12_50);
                    o.put("tid", "order 916");
                    add(o, Expect.rejected("has characters outside"));
                });
    }

    /**
     * What differs between the expected outcomes and {@code outcomes} (the output lines of
     * {@code dtm submit}, by input line number): one readable problem per line; empty when all agree.
     * With {@code failover}, the leader died during the stream, and any line that was to commit or
     * abort may instead have aborted for the failover (it was in flight, undecided).
     */
    public static List<String> mismatches(List<Sample> samples, Map<Integer, Map<String, Object>> outcomes, boolean failover) {
        List<String> problems = new ArrayList<>();
        Map<Integer, Integer> pairs = new LinkedHashMap<>();
        samples.stream().filter(s -> s.expect().duplicateOf() != null)
                .forEach(s -> pairs.put(s.line(), s.expect().duplicateOf()));
        for (Sample s : samples) {
            Map<String, Object> got = outcomes.get(s.line());
            if (got == null) {
                problems.add("line " + s.line() + " (" + s.tid() + "): no outcome printed");
            } else if (pairs.containsKey(s.line())) {
                Map<String, Object> other = outcomes.getOrDefault(pairs.get(s.line()), Map.of());
                boolean thisWon = "COMMITTED".equals(got.get("status"));
                boolean otherWon = "COMMITTED".equals(other.get("status"));
                // The loser (both, when neither won) aborted for the duplicate, or for the failover.
                boolean losersOk = (thisWon || lostFor(got, s.expect().error(), failover))
                        && (otherWon || lostFor(other, s.expect().error(), failover))
                        && (thisWon || otherWon || failover);
                if (thisWon && otherWon || !losersOk) {
                    problems.add("lines " + pairs.get(s.line()) + " and " + s.line() + " share an order id: expected one "
                            + "COMMITTED and the other ABORTED with " + s.expect().error() + ", got " + describe(other)
                            + " and " + describe(got));
                }
            } else if (!pairs.containsValue(s.line())) {
                Expect e = s.expect();
                Object error = got.get("error");
                boolean ok = e.status().equals(got.get("status"))
                        && (e.error() == null ? error == null : error != null && error.toString().contains(e.error()));
                boolean failedOver = failover && !e.status().equals("REJECTED") && "ABORTED".equals(got.get("status"))
                        && error != null && error.toString().contains(FAILOVER);
                if (!ok && !failedOver) {
                    problems.add("line " + s.line() + " (" + s.tid() + "): expected " + e.status()
                            + (e.error() == null ? "" : " with \"" + e.error() + "\"") + ", got " + describe(got));
                }
            }
        }
        return problems;
    }

    private static boolean lostFor(Map<String, Object> outcome, String reason, boolean failover) {
        Object error = outcome.get("error");
        return "ABORTED".equals(outcome.get("status")) && error != null
                && (error.toString().contains(reason) || failover && error.toString().contains(FAILOVER));
    }

    private static String describe(Map<String, Object> outcome) {
        if (outcome.isEmpty()) {
            return "nothing";
        }
        Object error = outcome.get("error");
        return outcome.get("status") + (error == null ? "" : " (" + error + ")");
    }

    // ------------------------------------------------------------------ building lines

    private void ordinary(int i) {
        int key = i % ORDINARY_KEYS;
        int qty = 1 + random.nextInt(3);
        long price = 5_00 + random.nextInt(200) * 25;
        Map<String, Object> o = order(key, qty, random.nextBoolean() ? GOOD_CARD : "5555555555554444", qty * price);
        int shape = random.nextInt(10);
        if (shape == 0) {
            keepOnly(o, "payment");
        } else if (shape == 1) {
            keepOnly(o, "inventory", "order");
        } else if (shape == 2) {
            keepOnly(o, "order", "shipping");
        }
        add(o, Expect.committed());
    }

    /** The line reuses the order id of the most recent ordinary line that has an order. */
    private void duplicateOrderId() {
        for (int i = samples.size() - 1; i >= 0; i--) {
            Sample earlier = samples.get(i);
            if (earlier.expect().equals(Expect.committed()) && earlier.json().contains("\"order\":")) {
                Map<String, Object> o = order(917, 1, GOOD_CARD, 12_50);
                String orderId = "o-" + earlier.tid();
                service(o, "order").put("orderId", orderId);
                service(o, "shipping").put("orderId", orderId);
                add(o, new Expect(null, "DUPLICATE_ORDER", earlier.line()));
                return;
            }
        }
        throw new IllegalStateException("no earlier order to duplicate");
    }

    /** An order of {@code qty} of SKU {@code key} for {@code amountCents}, paid from account {@code key}. */
    private Map<String, Object> order(int key, long qty, String card, long amountCents) {
        String tid = tid();
        String sku = String.format("sku-%04d", key);
        String account = String.format("acct-%04d", key);
        String orderId = "o-" + tid;
        Map<String, Object> services = new LinkedHashMap<>();
        services.put("inventory", map("items", new ArrayList<>(List.of(map("sku", sku, "qty", qty)))));
        services.put("payment", map("account", account, "card", card,
                "expiry", today.plusYears(3).format(DateTimeFormatter.ofPattern("MM/yy")), "amountCents", amountCents));
        long price = Math.max(1, amountCents / Math.max(1, qty));
        services.put("order", map("orderId", orderId, "customer", account,
                "lines", List.of(map("sku", sku, "qty", qty, "priceCents", price))));
        services.put("shipping", map("orderId", orderId,
                "address", map("street", (1 + key) + " Main St", "city", "Springfield", "zip", "12345", "country", "US"),
                "date", today.plusDays(7 + key % 21).toString()));
        return map("tid", tid, "services", services);
    }

    private static Map<String, Object> expectVersion(Map<String, Object> order, long version) {
        item(order).put("expectedVersion", version);
        return order;
    }

    private static void keepOnly(Map<String, Object> order, String... keep) {
        services(order).keySet().retainAll(List.of(keep));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> services(Map<String, Object> order) {
        return (Map<String, Object>) order.get("services");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(Map<String, Object> order, String name) {
        return (Map<String, Object>) services(order).get(name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> item(Map<String, Object> order) {
        return ((List<Map<String, Object>>) service(order, "inventory").get("items")).get(0);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> address(Map<String, Object> order) {
        return (Map<String, Object>) service(order, "shipping").get("address");
    }

    private String tid() {
        return String.format("%s%04d", tidPrefix, samples.size() + 1);
    }

    private void add(Map<String, Object> order, Expect expect) {
        addRaw(Json.write(order), (String) order.get("tid"), expect);
    }

    private void addRaw(String json, String tid, Expect expect) {
        samples.add(new Sample(samples.size() + 1, tid, json, expect));
    }

    /** A mutable map with its keys in the given order (the JSON reads as written). */
    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
