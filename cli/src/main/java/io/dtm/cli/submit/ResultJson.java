package io.dtm.cli.submit;

import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.ParticipantResult;
import io.dtm.protocol.rpc.SubmitResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One transaction's outcome as a JSON line, the output format of {@code dtm submit}: {@code tid},
 * {@code status} (COMMITTED, ABORTED, REJECTED, OVERLOADED, UNKNOWN), {@code error} (absent when committed),
 * {@code participants} (each service's vote, code and message, or the error instead of a vote),
 * {@code attempts}, {@code latencyMs}, and {@code line}, the input line it answers.
 */
final class ResultJson {
    private ResultJson() {
    }

    static Map<String, Object> of(int line, SubmitResult r, double latencyMs) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("tid", r.getTid());
        o.put("status", r.getStatus().name());
        if (r.getStatus() != SubmitResult.Status.COMMITTED) {
            o.put("error", r.getReason().isEmpty() ? r.getStatus().name().toLowerCase() : r.getReason());
        }
        List<Map<String, Object>> participants = new ArrayList<>();
        for (ParticipantResult p : r.getParticipantsList()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("service", p.getService());
            if (p.hasVote()) {
                Vote v = p.getVote();
                one.put("vote", v.getYes() ? "YES" : "NO");
                one.put("code", v.getCode().name());
                if (!v.getMessage().isEmpty()) {
                    one.put("message", v.getMessage());
                }
                if (v.getCode() == VoteCode.STALE_VERSION) {
                    one.put("record", v.getRecord());
                    one.put("currentVersion", v.getCurrentVersion());
                }
            } else {
                one.put("error", p.getError());
            }
            participants.add(one);
        }
        o.put("participants", participants);
        o.put("attempts", r.getAttempts());
        o.put("latencyMs", Math.round(latencyMs * 10) / 10.0);
        o.put("line", line);
        return o;
    }

    /** A line that is not a transaction: REJECTED with its number and the reason; nothing was sent. */
    static Map<String, Object> malformed(int line, String tid, String reason) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("tid", tid);
        o.put("status", SubmitResult.Status.REJECTED.name());
        o.put("error", "line " + line + ": " + reason);
        o.put("participants", List.of());
        o.put("attempts", 0);
        o.put("latencyMs", 0.0);
        o.put("line", line);
        return o;
    }
}
