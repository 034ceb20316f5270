package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ServiceName;
import io.dtm.pki.Identity.Role;
import io.dtm.pki.Identity;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.rpc.Request;

import java.security.cert.X509Certificate;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Who may send what: each request type is accepted only from the roles that need it, read from the
 * client's certificate (its {@link Identity}). The table, as docs/SECURITY.md shows it:
 *
 * <pre>
 * request                               node  service  client  admin
 * NODE_STATUS (who leads)                ✓      ✓        ✓       ✓
 * SUBMIT, TXN_STATUS                     -      -        ✓       ✓
 * RESOLVE (in-doubt question, ABORT)     ✓      ✓        -       -
 * LOG_DUMP, CHANGE_MEMBERS               -      -        -       ✓
 * PREPARE, COMMIT, ROLLBACK              ✓      -        -       -
 * QUERY, INSPECT, LIST_TXNS, SET_FAULTS  -      -        -       ✓
 * ADMIN_HTTP (a node's admin port)       -      -        -       ✓
 * </pre>
 *
 * A node or service certificate must also name a node or service of the configuration (for a node,
 * the configuration file as it is now: a node added since this process started counts). With TLS
 * off there is no identity and everything is accepted (the processes warn about it at start).
 * Pure: no I/O.
 */
public final class Access {

    /**
     * Every request type of a node's client port and of a service's port, and {@link #ADMIN_HTTP}: any
     * request to a node's admin HTTP port ({@code /metrics}, {@code /health}, {@code /status}).
     */
    public enum Operation {
        NODE_STATUS, SUBMIT, TXN_STATUS, RESOLVE, LOG_DUMP, CHANGE_MEMBERS,
        PREPARE, COMMIT, ROLLBACK, QUERY, INSPECT, LIST_TXNS, SET_FAULTS, ADMIN_HTTP;

        /** What a refusal says the sender may not do: {@code send COMMIT}, {@code read the admin port}. */
        public String action() {
            return this == ADMIN_HTTP ? "read the admin port" : "send " + name();
        }
    }

    private static final Map<Operation, Set<Role>> ALLOWED = table();

    private final NodeDirectory nodes;

    public Access(ClusterConfig config) {
        this.nodes = new NodeDirectory(config);
    }

    /** The nodes this process knows, the configuration file read again for one it does not ({@link NodeDirectory}). */
    public NodeDirectory nodes() {
        return nodes;
    }

    private static Map<Operation, Set<Role>> table() {
        Map<Operation, Set<Role>> t = new EnumMap<>(Operation.class);
        t.put(Operation.NODE_STATUS, EnumSet.allOf(Role.class));
        t.put(Operation.SUBMIT, EnumSet.of(Role.CLIENT, Role.ADMIN));
        t.put(Operation.TXN_STATUS, EnumSet.of(Role.CLIENT, Role.ADMIN));
        t.put(Operation.RESOLVE, EnumSet.of(Role.NODE, Role.SERVICE));
        t.put(Operation.LOG_DUMP, EnumSet.of(Role.ADMIN));
        t.put(Operation.CHANGE_MEMBERS, EnumSet.of(Role.ADMIN));
        for (Operation o : EnumSet.of(Operation.PREPARE, Operation.COMMIT, Operation.ROLLBACK)) {
            t.put(o, EnumSet.of(Role.NODE));
        }
        for (Operation o : EnumSet.of(Operation.QUERY, Operation.INSPECT, Operation.LIST_TXNS, Operation.SET_FAULTS,
                Operation.ADMIN_HTTP)) {
            t.put(o, EnumSet.of(Role.ADMIN));
        }
        return t;
    }

    /** Whether {@code role} may send {@code operation}, by the table alone. */
    public static boolean allowed(Role role, Operation operation) {
        return ALLOWED.get(operation).contains(role);
    }

    /** The request type of a node's client-port request, or empty for one with no body (refused as invalid elsewhere). */
    public static Optional<Operation> of(Request request) {
        return switch (request.getBodyCase()) {
            case NODE_STATUS -> Optional.of(Operation.NODE_STATUS);
            case TXN_STATUS -> Optional.of(Operation.TXN_STATUS);
            case RESOLVE -> Optional.of(Operation.RESOLVE);
            case SUBMIT -> Optional.of(Operation.SUBMIT);
            case LOG_DUMP -> Optional.of(Operation.LOG_DUMP);
            case CHANGE_MEMBERS -> Optional.of(Operation.CHANGE_MEMBERS);
            case BODY_NOT_SET -> Optional.empty();
        };
    }

    /** The request type of a service-port request, or empty for one with no body. */
    public static Optional<Operation> of(ParticipantRequest request) {
        return switch (request.getBodyCase()) {
            case PREPARE -> Optional.of(Operation.PREPARE);
            case COMMIT -> Optional.of(Operation.COMMIT);
            case ROLLBACK -> Optional.of(Operation.ROLLBACK);
            case QUERY -> Optional.of(Operation.QUERY);
            case INSPECT -> Optional.of(Operation.INSPECT);
            case SET_FAULTS -> Optional.of(Operation.SET_FAULTS);
            case LIST_TXNS -> Optional.of(Operation.LIST_TXNS);
            case BODY_NOT_SET -> Optional.empty();
        };
    }

    /** What a service names itself when it proposes an ABORT: {@code participant:<service>}. */
    public static String proposerOf(String service) {
        return "participant:" + service;
    }

    /**
     * A service speaks only for itself: why a RESOLVE from {@code caller} naming {@code proposer}
     * is refused, or empty when it may go on (nodes, and any caller with TLS off, name whom they like).
     */
    public static Optional<String> proposerRefusal(Optional<Identity> caller, String proposer) {
        if (caller.isEmpty() || caller.get().role() != Role.SERVICE) {
            return Optional.empty();
        }
        String own = proposerOf(caller.get().name());
        return proposer.equals(own) ? Optional.empty()
                : Optional.of("service " + caller.get().name() + " may propose only as " + own + ", not as \"" + proposer + "\"");
    }

    /**
     * A service asks about, and aborts, only attempts it takes part in: why it may not, given the
     * attempt's {@code participants} as the log holds them, or empty when it may. An attempt whose
     * participants the log does not hold (not begun yet, as when a PREPARE overtook its Begin, or
     * ended and retained without them) is the service's to ask about: that is how an in-doubt
     * participant aborts early.
     */
    public static Optional<String> participationRefusal(Optional<Identity> caller, String attemptId,
            List<String> participants) {
        if (caller.isEmpty() || caller.get().role() != Role.SERVICE || participants.isEmpty()
                || participants.contains(caller.get().name())) {
            return Optional.empty();
        }
        return Optional.of("service " + caller.get().name() + " takes no part in " + attemptId + " (its participants: "
                + String.join(", ", participants) + ")");
    }

    /**
     * Why the holder of {@code certificate} may not send {@code operation} here, or empty when it
     * may. {@code tls}: whether this server requires certificates; without TLS everything passes.
     */
    public Optional<String> refusal(boolean tls, Optional<X509Certificate> certificate, Operation operation) {
        if (!tls) {
            return Optional.empty();
        }
        Optional<Identity> who = certificate.flatMap(Identity::of);
        Optional<String> byRole = roleRefusal(who, operation);
        if (byRole.isPresent()) {
            return byRole;
        }
        Identity identity = who.get();
        if (identity.role() == Role.NODE && nodes.find(identity.name()).isEmpty()) {
            return Optional.of("node " + identity.name() + " is not a node of this cluster");
        }
        if (identity.role() == Role.SERVICE && ServiceName.fromId(identity.name()).isEmpty()) {
            return Optional.of("service " + identity.name() + " is not a service of this cluster");
        }
        return Optional.empty();
    }

    /**
     * Why {@code who} (the identity a certificate names, empty when it names none) may not send
     * {@code operation} by the table alone, or empty when its role may. All there is to check for an
     * operation no node or service may send (the admin port's): {@link #refusal} adds, for node and
     * service certificates, that they name one of the cluster's.
     */
    public static Optional<String> roleRefusal(Optional<Identity> who, Operation operation) {
        if (who.isEmpty()) {
            return Optional.of("a certificate that names no role of this cluster may not " + operation.action());
        }
        Role role = who.get().role();
        if (!allowed(role, operation)) {
            return Optional.of("role " + role.id() + " may not " + operation.action());
        }
        return Optional.empty();
    }
}
