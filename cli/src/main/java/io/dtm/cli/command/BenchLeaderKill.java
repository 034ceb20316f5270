package io.dtm.cli.command;

import io.dtm.cli.UserException;
import io.dtm.cli.cluster.LeaderKill;
import io.dtm.cli.load.TwoPhaseLoad;
import io.dtm.config.Durations;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Kills the leader at a set time into the load, on a thread of its own, and keeps what came of it. */
final class BenchLeaderKill extends Thread {
    private final LeaderKill killer;
    private final TwoPhaseLoad load;
    private final Duration warmup;
    private final Duration after;
    private volatile LeaderKill.Outcome outcome;
    private volatile UserException failure;

    /** Kills {@code after} into the measured time, which begins {@code warmup} after the load. */
    BenchLeaderKill(LeaderKill killer, TwoPhaseLoad load, Duration warmup, Duration after) {
        super("bench-leader-kill");
        setDaemon(true);
        this.killer = killer;
        this.load = load;
        this.warmup = warmup;
        this.after = after;
    }

    @Override
    public void run() {
        try {
            Thread.sleep(warmup.plus(after).toMillis());
            String leader = killer.leader().orElseThrow(() -> new UserException(
                    "--kill-leader-after: no node reported itself a ready leader at the time of the kill", 1));
            ProcessHandle process = killer.leaderProcess(leader);
            outcome = killer.kill(leader, process, load::markFault, Duration.ofSeconds(30));
        } catch (UserException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    Map<String, Object> toJson(TwoPhaseLoad.FaultRecovery recovery) {
        Map<String, Object> o = new LinkedHashMap<>();
        if (outcome == null) {
            o.put("error", failure == null ? "the kill did not happen" : failure.getMessage());
            return o;
        }
        o.put("afterSeconds", after.toMillis() / 1000.0);
        o.put("killed", outcome.killed());
        o.put("pid", outcome.pid());
        o.put("newLeader", outcome.newLeader());
        o.put("newLeaderMs", outcome.newLeaderMs());
        o.put("firstCommitAfterKillMs", recovery.firstCommitAfterMs());
        o.put("inFlightAtKill", recovery.inFlight());
        o.put("inFlightOutcomes", recovery.inFlightOutcomes());
        o.put("lastInFlightOutcomeMs", recovery.lastInFlightOutcomeMs());
        o.put("unanswered", recovery.unanswered());
        return o;
    }

    /** Why the kill did not happen, if it did not; null otherwise. */
    UserException failure() {
        return failure;
    }

    void print(PrintWriter out, TwoPhaseLoad.FaultRecovery recovery) {
        if (outcome == null) {
            out.println("  leader kill: " + (failure == null ? "did not happen" : failure.getMessage()));
            return;
        }
        out.printf("  leader kill   SIGKILL %s (pid %d) %s into the measured time%n", outcome.killed(),
                outcome.pid(), Durations.format(after));
        out.printf("    new leader              %s%n", outcome.newLeader() == null ? "none within 30 s"
                : String.format("%s, ready %.0f ms after the kill", outcome.newLeader(), outcome.newLeaderMs()));
        out.printf("    first new commit        %s%n", recovery.firstCommitAfterMs() < 0 ? "none"
                : String.format("%.0f ms after the kill", recovery.firstCommitAfterMs()));
        out.printf("    in flight at the kill   %,d, the last answered %.0f ms after the kill: %s%n",
                recovery.inFlight(), recovery.lastInFlightOutcomeMs(), recovery.inFlightOutcomes());
        if (recovery.unanswered() > 0) {
            out.printf("    never answered          %,d%n", recovery.unanswered());
        }
        out.printf("    the killed node stays down: ./dtm cluster start brings it back%n");
    }
}
