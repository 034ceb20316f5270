package io.dtm.jepsen.check;

import io.dtm.jepsen.history.ClientOps;
import io.dtm.jepsen.history.Op;
import io.dtm.jepsen.history.OpType;

import java.util.List;
import java.util.Map;

/**
 * After the heal, the cluster finishes everything and works again: no attempt is left PREPARED at
 * any service (the harness read them after its bounded recovery period), and the probe
 * transactions submitted after the heal ({@code f = "probe"}) all committed.
 */
public final class ResolutionChecker {
    public static final String NAME = "resolution";

    private ResolutionChecker() {
    }

    public static CheckResult check(List<Op> history, Observed observed) {
        CheckResult.Builder result = new CheckResult.Builder(NAME);
        int prepared = 0;
        for (Map.Entry<String, Map<String, String>> service : observed.participants().entrySet()) {
            for (Map.Entry<String, String> attempt : service.getValue().entrySet()) {
                if (Observed.PREPARED.equals(attempt.getValue())) {
                    prepared++;
                    result.problem(service.getKey() + " still holds " + attempt.getKey() + " PREPARED after recovery");
                }
            }
        }
        int probes = 0;
        int committed = 0;
        for (Calls.Call c : Calls.of(history)) {
            if (c.f().equals(ClientOps.PROBE)) {
                probes++;
                if (c.type() == OpType.OK) {
                    committed++;
                } else {
                    result.problem("probe " + c.tid() + " after the heal: " + c.type().wire()
                            + (c.completion() == null || c.completion().error() == null ? ""
                            : " (" + c.completion().error() + ")"));
                }
            }
        }
        if (probes == 0) {
            result.unknown("no probe transaction was submitted after the heal");
        }
        if (!observed.unreadServices().isEmpty()) {
            // What they hold PREPARED is unknown.
            result.unknown("services not read: " + observed.unreadServices());
        }
        return result.build(Map.of("preparedLeft", prepared, "probes", probes, "probesCommitted", committed));
    }
}
