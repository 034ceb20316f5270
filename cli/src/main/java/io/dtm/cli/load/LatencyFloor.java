package io.dtm.cli.load;

import org.HdrHistogram.Histogram;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What one transaction at one client cannot go below on this cluster, from pieces measured one at
 * a time (see {@link FloorProbe}): a synced write, a loopback round trip to a node, one record
 * appended to the replicated log, and a PREPARE at each service.
 *
 * <p>The floor follows the path the leader's engine takes (coordinator {@code PhaseOne}): with two
 * or more services, {@code Begin} and the PREPAREs go out together, so the client waits for the
 * slower of the two, then for {@code Decide} in the log, then for the reply; with one service
 * (one-phase commit) the PREPARE waits for {@code Begin}, so the two add up.
 *
 * @param fsync      4 KiB written and forced in {@code fsyncDir}
 * @param fsyncDir   where the fsyncs were measured
 * @param fsyncNote  why that is not the cluster's data directory; null when it is
 * @param roundTrip  a request a node answers from memory; null when this kind of run does not probe it
 * @param logAppend  one record through the log, the next sent once it is applied; null when not probed
 * @param prepare    PREPARE (each then committed) per service id, in the order of the run's services;
 *                   empty when not probed
 * @param onePhase   the run's orders have one service, which the engine commits in one phase
 */
public record LatencyFloor(Piece fsync, String fsyncDir, String fsyncNote, Piece roundTrip, Piece logAppend,
        Map<String, Piece> prepare, boolean onePhase) {

    /**
     * One piece: its p50 and p99 in milliseconds, or, when it could not be measured, why not
     * ({@code unmeasured}; the percentiles are then NaN, never a number that could pass for one).
     */
    public record Piece(double p50Ms, double p99Ms, String unmeasured) {
        public static Piece of(Histogram micros) {
            if (micros.getTotalCount() == 0) {
                return unmeasured("no sample in the time given");
            }
            return new Piece(micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(99) / 1000.0, null);
        }

        public static Piece unmeasured(String why) {
            return new Piece(Double.NaN, Double.NaN, why);
        }

        public boolean measured() {
            return unmeasured == null;
        }
    }

    /** Whether this run probed what the floor of a whole transaction needs (the two-phase-commit load does). */
    public boolean hasFloor() {
        return roundTrip != null && logAppend != null && !prepare.isEmpty();
    }

    /** How the floor adds up, in the words of the human output. */
    public String path() {
        return onePhase ? "Begin + PREPARE + Decide + reply" : "max(Begin, PREPARE) + Decide + reply";
    }

    /** The slowest service by PREPARE p50, if every service's PREPARE was measured. */
    public Optional<Map.Entry<String, Piece>> slowestPrepare() {
        if (prepare.isEmpty() || prepare.values().stream().anyMatch(p -> !p.measured())) {
            return Optional.empty();
        }
        return prepare.entrySet().stream().max(Map.Entry.comparingByValue(
                java.util.Comparator.comparingDouble(Piece::p50Ms)));
    }

    /** The floor in milliseconds, of p50s; empty when not probed or when a piece it needs is unmeasured. */
    public OptionalDouble floorMs() {
        Optional<Map.Entry<String, Piece>> slowest = slowestPrepare();
        if (!hasFloor() || !roundTrip.measured() || !logAppend.measured() || slowest.isEmpty()) {
            return OptionalDouble.empty();
        }
        double begin = logAppend.p50Ms();
        double decide = logAppend.p50Ms();
        double prepared = slowest.get().getValue().p50Ms();
        double beforeDecide = onePhase ? begin + prepared : Math.max(begin, prepared);
        return OptionalDouble.of(beforeDecide + decide + roundTrip.p50Ms());
    }

    /** Why there is no floor though the run probed for one; null when there is one or none was probed. */
    public String floorUnmeasured() {
        if (!hasFloor() || floorMs().isPresent()) {
            return null;
        }
        if (!logAppend.measured()) {
            return "no log append";
        }
        if (!roundTrip.measured()) {
            return "no round trip";
        }
        return "no PREPARE of " + prepare.entrySet().stream().filter(e -> !e.getValue().measured())
                .map(Map.Entry::getKey).toList();
    }

    /** A run's p50 latency over the floor; empty without a floor. */
    public OptionalDouble over(double p50Ms) {
        OptionalDouble floor = floorMs();
        return floor.isPresent() && floor.getAsDouble() > 0 ? OptionalDouble.of(p50Ms / floor.getAsDouble())
                : OptionalDouble.empty();
    }
}
