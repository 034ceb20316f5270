package io.dtm.config;

/**
 * How long the log state machine keeps the outcome of an ended transaction (for idempotent
 * client retries and late in-doubt queries). An outcome is dropped when either bound is passed;
 * its attempt id is then remembered as used (FORGOTTEN: a resubmitted tid is refused as "no longer
 * retained" instead of running again) for {@code maxForgotten} more dropped outcomes.
 *
 * @param maxOutcomes  at most this many ended outcomes are kept
 * @param maxAgeMs     none is kept longer than this, measured in log time
 * @param maxForgotten ids of dropped outcomes remembered as used, at most (about 29 bytes each; 0
 *                     remembers none, and then only the participants refuse a re-run)
 */
public record RetentionConfig(int maxOutcomes, long maxAgeMs, int maxForgotten) {

    public RetentionConfig(int maxOutcomes, long maxAgeMs) {
        this(maxOutcomes, maxAgeMs, defaults().maxForgotten());
    }

    /** The values a configuration file gets for keys it leaves out. */
    public static RetentionConfig defaults() {
        return new RetentionConfig(250_000, 3_600_000, 1_000_000);
    }
}
