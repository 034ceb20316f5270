package io.dtm.jepsen.check;

import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rogue client's attempts were all refused: every request a valid {@code client} certificate
 * sent that its role may not send (COMMIT, ROLLBACK, SET_FAULTS at the services; RESOLVE, LOG_DUMP
 * at a node) came back PERMISSION_DENIED, and every record it appended through the Raft port with a
 * node's stolen key was refused by the log. One that got in is a problem even when the other checkers
 * see no harm (a SET_FAULTS that silences a service breaks no atomicity, only the cluster). Valid
 * and silent when the run had no rogue client. Pure: reads the nemesis's completions in the history.
 */
public final class RogueChecker {
    static final String NEMESIS = "start-rogue-client";

    private RogueChecker() {
    }

    public static CheckResult check(List<Op> history) {
        CheckResult.Builder result = new CheckResult.Builder("rogue-client");
        Map<String, Long> denied = new LinkedHashMap<>();
        int rounds = 0;
        for (Op op : history) {
            // The nemesis's completion carries what it did (its invocation has no value).
            if (!op.isNemesis() || op.type() != OpType.INFO || !NEMESIS.equals(op.f()) || op.value() == null) {
                continue;
            }
            rounds++;
            if (op.valueOf("accepted") instanceof Map<?, ?> accepted) {
                accepted.forEach((what, n) -> result.problem("the rogue's " + what + " was served, " + n
                        + " time(s), at " + op.time() / 1_000_000 + " ms: a client certificate may not send it, and"
                        + " the log takes records only from its leader's own path"));
            }
            if (op.valueOf("denied") instanceof Map<?, ?> d) {
                d.forEach((what, n) -> denied.merge(String.valueOf(what), ((Number) n).longValue(), Long::sum));
            }
        }
        if (rounds > 0 && denied.isEmpty()) {
            result.unknown("the rogue client ran " + rounds + " time(s) but none of its requests reached a server");
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("rounds", rounds);
        details.put("denied", denied);
        return result.build(details);
    }
}
