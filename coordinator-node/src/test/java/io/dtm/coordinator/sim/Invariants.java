package io.dtm.coordinator.sim;

import io.dtm.protocol.AttemptId;
import io.dtm.config.ServiceName;
import io.dtm.coordinator.core.TxnRequest;
import io.dtm.protocol.TxnIds;
import io.dtm.protocol.log.TxnState;
import io.dtm.protocol.log.TxnStatus;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.LocalState;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The invariants of DESIGN.md section 7, checked on a settled simulation. */
final class Invariants {
    private Invariants() {
    }

    static void check(Simulation sim) {
        List<String> broken = new ArrayList<>(sim.alarms);
        broken.addAll(sim.clients().broken);
        if (sim.violationsCounted() > 0) {
            broken.add(sim.violationsCounted() + " invariant violation(s) raised by the coordinator (see its log)");
        }
        for (var leader : sim.leaders()) {
            leader.violations().forEach(v -> broken.add("open violation: " + v));
        }
        long sold = 0;
        long captured = 0;
        long orders = 0;
        long shipments = 0;
        for (Map.Entry<String, SubmitRequest> e : sim.requests().entrySet()) {
            String tid = e.getKey();
            // The request the tid is: the one whose Begin of tid#1 the log applied first (a reused
            // tid's other request was rejected, or never logged).
            SubmitRequest request = e.getValue();
            for (SubmitRequest candidate : sim.candidates(tid)) {
                if (digest(candidate) == sim.firstDigest(tid)) {
                    request = candidate;
                }
            }
            long winner = digest(request);
            List<ServiceName> services = services(request);
            String committedAttempt = null;
            for (int n = 1; n <= TxnIds.MAX_ATTEMPTS; n++) {
                String attempt = AttemptId.format(tid, n);
                TxnState logged = sim.logOf(attempt).query(attempt);
                int committedHere = 0;
                for (ServiceName s : ServiceName.values()) {
                    LocalState state = sim.stateAt(s, attempt);
                    if (state == LocalState.PREPARED) {
                        broken.add(attempt + " still PREPARED at " + s.id() + " (liveness)");
                    }
                    if (state == LocalState.COMMITTED) {
                        committedHere++;
                        if (s == ServiceName.PAYMENT && request.hasPayment()) {
                            String effects = String.join(";", sim.participant(s).localTxn(attempt).getEffectsList());
                            if (!effects.contains("hold " + request.getPayment().getAmountCents() + " cents")) {
                                broken.add(attempt + " captured " + effects + " but its request says "
                                        + request.getPayment().getAmountCents() + " cents");
                            }
                        }
                        if (!sim.everCommitted(attempt)) {
                            broken.add(attempt + " COMMITTED at " + s.id() + " but the log never decided COMMIT for it"
                                    + " (it says " + logged.getStatus() + " " + logged.getOutcome() + ")");
                        }
                        if (!services.contains(s)) {
                            broken.add(attempt + " COMMITTED at " + s.id() + ", which is not in its request");
                        }
                    }
                }
                if (sim.everCommitted(attempt)) {
                    if (committedHere != services.size()) {
                        broken.add(attempt + " was decided COMMIT but committed at " + committedHere + " of "
                                + services.size() + " services (atomicity)");
                    }
                    if (committedAttempt != null) {
                        broken.add(tid + " committed twice: " + committedAttempt + " and " + attempt);
                    }
                    committedAttempt = attempt;
                }
                TxnStatus status = logged.getStatus();
                if (status != TxnStatus.UNKNOWN && status != TxnStatus.ENDED && status != TxnStatus.FORGOTTEN) {
                    broken.add(attempt + " still " + status + " in the log (liveness)");
                }
            }
            if (sim.answers().get(tid) == null) {
                broken.add(tid + " never answered (liveness)");
            }
            for (SimClients.Answer told : sim.clients().answered) {
                if (!told.tid().equals(tid)) {
                    continue;
                }
                SubmitResult answer = told.result();
                if (told.digest() != winner) {
                    if (answer.getStatus() != SubmitResult.Status.REJECTED) {
                        broken.add(tid + " with another request than the one it is got " + answer.getStatus());
                    }
                } else if (answer.getStatus() == SubmitResult.Status.REJECTED
                        && !answer.getReason().contains("no longer retained")) {
                    broken.add(tid + " REJECTED although valid: " + answer.getReason());
                } else if (answer.getStatus() == SubmitResult.Status.COMMITTED && committedAttempt == null) {
                    broken.add(tid + " answered COMMITTED but no attempt committed (durability)");
                } else if (answer.getStatus() == SubmitResult.Status.ABORTED && committedAttempt != null
                        && !told.beyondMemory()) {
                    broken.add(tid + " answered ABORTED but " + committedAttempt + " committed (client truth)");
                }
            }
            if (committedAttempt != null) {
                if (request.hasInventory()) {
                    for (Item item : request.getInventory().getItemsList()) {
                        sold += item.getQty();
                    }
                }
                if (request.hasPayment()) {
                    captured += request.getPayment().getAmountCents();
                }
                orders += request.hasOrder() ? 1 : 0;
                shipments += request.hasShipping() ? 1 : 0;
            }
        }
        for (var leader : sim.leaders()) {
            if (leader.inFlight() != 0) {
                broken.add("a leader still holds " + leader.inFlight() + " transaction(s) at the end (liveness): "
                        + leader.describeInFlight(5));
            }
        }
        Map<String, Long> inventory = sim.participant(ServiceName.INVENTORY).service().totals();
        Map<String, Long> payment = sim.participant(ServiceName.PAYMENT).service().totals();
        expect(broken, "stock conserved", inventory.get("initialStock"),
                inventory.get("available") + inventory.get("reserved") + inventory.get("sold"));
        expect(broken, "sold = committed quantities (no double apply)", sold, inventory.get("sold"));
        expect(broken, "money conserved", payment.get("initialBalanceCents"),
                payment.get("balanceCents") + payment.get("heldCents") + payment.get("capturedCents"));
        expect(broken, "captured = committed amounts (no double apply)", captured, payment.get("capturedCents"));
        expect(broken, "confirmed orders = committed orders", orders,
                sim.participant(ServiceName.ORDER).service().totals().get("confirmed"));
        expect(broken, "scheduled shipments = committed shipments", shipments,
                sim.participant(ServiceName.SHIPPING).service().totals().get("scheduled"));
        if (!broken.isEmpty()) {
            throw new AssertionError("seed " + sim.seed() + " broke " + broken.size() + " invariant(s):\n  "
                    + String.join("\n  ", broken.subList(0, Math.min(20, broken.size())))
                    + "\nreplay: mvn -pl coordinator-node test -Dtest=SimulationTest#replay -Ddtm.sim.seed=" + sim.seed()
                    + "\ntrace:\n" + sim.trace());
        }
    }

    private static void expect(List<String> broken, String what, long expected, long actual) {
        if (expected != actual) {
            broken.add(what + ": expected " + expected + ", got " + actual);
        }
    }

    static long digest(SubmitRequest r) {
        return ((TxnRequest.Valid) TxnRequest.validate(r, Workload.SETTINGS)).request().digest();
    }

    static List<ServiceName> services(SubmitRequest r) {
        List<ServiceName> out = new ArrayList<>();
        if (r.hasInventory()) {
            out.add(ServiceName.INVENTORY);
        }
        if (r.hasPayment()) {
            out.add(ServiceName.PAYMENT);
        }
        if (r.hasOrder()) {
            out.add(ServiceName.ORDER);
        }
        if (r.hasShipping()) {
            out.add(ServiceName.SHIPPING);
        }
        return out;
    }
}
