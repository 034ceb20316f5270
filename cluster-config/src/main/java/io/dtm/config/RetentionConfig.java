package io.dtm.config;

/**
 * How long the log state machine keeps the outcome of an ended transaction (for idempotent
 * client retries and late in-doubt queries). An outcome is dropped when either bound is passed.
 *
 * @param maxOutcomes at most this many ended outcomes are kept
 * @param maxAgeMs    none is kept longer than this, measured in log time
 */
public record RetentionConfig(int maxOutcomes, long maxAgeMs) {

    /** The values a configuration file gets for keys it leaves out. */
    public static RetentionConfig defaults() {
        return new RetentionConfig(250_000, 3_600_000);
    }
}
