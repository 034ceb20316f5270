package io.dtm.coordinator.core;

import com.google.protobuf.CodedOutputStream;
import io.dtm.config.ServiceName;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.rpc.SubmitRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * A validated client request: what each participant is asked, the deadline and the attempt budget,
 * and a digest that recognises the same request when its tid comes again.
 *
 * @param prepares per service, the PREPARE it gets (its tid is set per attempt)
 */
public record TxnRequest(String tid, Map<ServiceName, Prepare> prepares, long timeoutMs, int maxAttempts,
        long digest) {

    /** Longest deadline a client may ask for. */
    public static final long MAX_TIMEOUT_MS = 600_000;
    public static final int MAX_ATTEMPTS = io.dtm.protocol.TxnIds.MAX_ATTEMPTS;

    public TxnRequest {
        prepares = Collections.unmodifiableMap(new EnumMap<>(prepares));
    }

    public List<ServiceName> services() {
        return new ArrayList<>(prepares.keySet());
    }

    public List<String> serviceIds() {
        return prepares.keySet().stream().map(ServiceName::id).toList();
    }

    /** The PREPARE {@code service} gets in attempt {@code attemptId}. */
    public Prepare prepare(ServiceName service, String attemptId) {
        return prepares.get(service).toBuilder().setAttemptId(attemptId).setRequestDigest(digest).build();
    }

    /** A checked request, or the reason it is REJECTED (nothing is logged for it). */
    public sealed interface Validated {
    }

    public record Valid(TxnRequest request) implements Validated {
    }

    public record Invalid(String reason) implements Validated {
    }

    /**
     * Checks what the coordinator can check on its own: the tid, at least one service, the fields
     * every participant needs, positive quantities and amounts. Business rules (stock, funds, card,
     * dates, addresses) are the participants' to judge: they answer with NO votes.
     */
    public static Validated validate(SubmitRequest r, CoordinatorSettings settings) {
        List<String> problems = new ArrayList<>();
        TxnIds.problem(r.getTid()).ifPresent(problems::add);
        Map<ServiceName, Prepare> prepares = new EnumMap<>(ServiceName.class);
        if (r.hasInventory()) {
            RequestChecks.inventory(r.getInventory(), problems);
            prepares.put(ServiceName.INVENTORY, Prepare.newBuilder().setInventory(r.getInventory()).build());
        }
        if (r.hasPayment()) {
            RequestChecks.payment(r.getPayment(), problems);
            prepares.put(ServiceName.PAYMENT, Prepare.newBuilder().setPayment(r.getPayment()).build());
        }
        if (r.hasOrder()) {
            RequestChecks.order(r.getOrder(), problems);
            prepares.put(ServiceName.ORDER, Prepare.newBuilder().setOrder(r.getOrder()).build());
        }
        if (r.hasShipping()) {
            RequestChecks.shipping(r.getShipping(), problems);
            prepares.put(ServiceName.SHIPPING, Prepare.newBuilder().setShipping(r.getShipping()).build());
        }
        if (prepares.isEmpty()) {
            problems.add("services: at least one of inventory, payment, order, shipping is needed");
        }
        if (r.getTimeoutMs() < 0 || r.getTimeoutMs() > MAX_TIMEOUT_MS) {
            problems.add("timeoutMs: must be between 1 and " + MAX_TIMEOUT_MS + " (0 for the default), got "
                    + r.getTimeoutMs());
        }
        if (r.getMaxAttempts() < 0 || r.getMaxAttempts() > MAX_ATTEMPTS) {
            problems.add("maxAttempts: must be between 1 and " + MAX_ATTEMPTS + " (0 for the default), got "
                    + r.getMaxAttempts());
        }
        if (!problems.isEmpty()) {
            return new Invalid(String.join("; ", problems));
        }
        long timeout = r.getTimeoutMs() == 0 ? settings.transactionTimeoutMs() : r.getTimeoutMs();
        int attempts = r.getMaxAttempts() == 0 ? settings.maxAttempts() : r.getMaxAttempts();
        return new Valid(new TxnRequest(r.getTid(), prepares, timeout, attempts, digest(r, settings.requestDigest())));
    }

    /**
     * What makes two submissions "the same request": every service's data, not the tid and not the
     * pacing (deadline, attempts). Deterministic serialisation, then the cluster's keyed digest
     * ({@link RequestDigest}: the request holds a card number); never 0, which the log reads as "no digest".
     */
    static long digest(SubmitRequest r, RequestDigest keyed) {
        SubmitRequest content = r.toBuilder().clearTid().clearTimeoutMs().clearMaxAttempts().build();
        // Serialised straight into an array of the exact size (a stream would add a 4 KB buffer and copies).
        byte[] bytes = new byte[content.getSerializedSize()];
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.useDeterministicSerialization();
        try {
            content.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.checkNoSpaceLeft();
        return keyed.of(bytes);
    }
}
