package io.dtm.rpc;

import io.dtm.pki.Identity;
import io.dtm.pki.Identity.Role;
import io.dtm.rpc.Access.Operation;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The request × role table, exactly as docs/SECURITY.md writes it (RolesTest checks each cell on real sockets). */
class AccessTest {

    @Test
    void theTableIsTheDocumentedOne() {
        List<String> rows = new ArrayList<>();
        for (Operation operation : Operation.values()) {
            StringBuilder row = new StringBuilder(operation.name());
            for (Role role : Role.values()) {
                row.append(' ').append(Access.allowed(role, operation) ? role.id() : "-");
            }
            rows.add(row.toString());
        }
        assertThat(rows).containsExactly(
                "NODE_STATUS node service client admin",
                "SUBMIT - - client admin",
                "TXN_STATUS - - client admin",
                "RESOLVE node service - -",
                "LOG_DUMP - - - admin",
                "CHANGE_MEMBERS - - - admin",
                "PREPARE node - - -",
                "COMMIT node - - -",
                "ROLLBACK node - - -",
                "QUERY - - - admin",
                "INSPECT - - - admin",
                "LIST_TXNS - - - admin",
                "SET_FAULTS - - - admin",
                "ADMIN_HTTP - - - admin");
    }

    @Test
    void aRefusalNamesTheRoleAndWhatItMayNotDo() {
        assertThat(Access.roleRefusal(Optional.of(new Identity(Role.CLIENT, "alice")), Operation.ADMIN_HTTP))
                .hasValue("role client may not read the admin port");
        assertThat(Access.roleRefusal(Optional.of(Identity.node("n1")), Operation.COMMIT)).isEmpty();
        assertThat(Access.roleRefusal(Optional.of(Identity.service("payment")), Operation.COMMIT))
                .hasValue("role service may not send COMMIT");
        assertThat(Access.roleRefusal(Optional.empty(), Operation.ADMIN_HTTP))
                .hasValue("a certificate that names no role of this cluster may not read the admin port");
        assertThat(Access.roleRefusal(Optional.of(new Identity(Role.ADMIN, "ops")), Operation.ADMIN_HTTP)).isEmpty();
    }

    @Test
    void aServiceProposesOnlyAsItself() {
        Optional<Identity> payment = Optional.of(Identity.service("payment"));
        assertThat(Access.proposerRefusal(payment, "participant:payment")).isEmpty();
        assertThat(Access.proposerRefusal(payment, "participant:inventory")).hasValue(
                "service payment may propose only as participant:payment, not as \"participant:inventory\"");
        assertThat(Access.proposerRefusal(payment, "coordinator:n1")).isPresent();
        assertThat(Access.proposerRefusal(Optional.of(Identity.node("n1")), "anyone")).as("a node").isEmpty();
        assertThat(Access.proposerRefusal(Optional.empty(), "anyone")).as("TLS off").isEmpty();
    }

    @Test
    void aServiceResolvesOnlyAttemptsItTakesPartInOrThatTheLogHasNotBegun() {
        Optional<Identity> payment = Optional.of(Identity.service("payment"));
        assertThat(Access.participationRefusal(payment, "t#1", List.of("payment", "order"))).isEmpty();
        assertThat(Access.participationRefusal(payment, "t#1", List.of("inventory", "order"))).hasValue(
                "service payment takes no part in t#1 (its participants: inventory, order)");
        assertThat(Access.participationRefusal(payment, "t#1", List.of())).as("not begun: an early ABORT").isEmpty();
        assertThat(Access.participationRefusal(Optional.of(Identity.node("n2")), "t#1", List.of("inventory")))
                .as("a node").isEmpty();
    }
}
