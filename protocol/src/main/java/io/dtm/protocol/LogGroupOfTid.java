package io.dtm.protocol;

/**
 * Which of a cluster's log groups holds a transaction: a pure function of the tid and of the group
 * count, the same in every process, every JVM and every version (nodes, clients and services must
 * agree on it, and the group count never changes for a cluster's data). Every attempt of a tid
 * ({@code tid#n}) lives in the tid's group, so that one group answers for all of them.
 */
public final class LogGroupOfTid {
    private LogGroupOfTid() {
    }

    /**
     * The group, in {@code [0, groups)}, of {@code tidOrAttempt} (a bare tid or an attempt id
     * {@code tid#n}: both give the tid's group).
     *
     * @throws IllegalArgumentException when {@code groups} is not positive
     */
    public static int indexOf(String tidOrAttempt, int groups) {
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be positive, got " + groups);
        }
        if (groups == 1) {
            return 0;
        }
        // String.hashCode is specified by the JLS; the finalizer of MurmurHash3 (fmix32) spreads
        // tids that differ in one character (order-1, order-2, ...) over every group, whatever
        // the count.
        int h = AttemptId.tidOf(tidOrAttempt).hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Math.floorMod(h, groups);
    }
}
