package io.dtm.config;

/**
 * Where a participant service with injected faults halts its process, once: the points at which
 * a crash tests recovery of a durable vote or decision, or the loss of a request before any of it
 * was recorded. In YAML the constant's name is written as is.
 */
public enum CrashPoint {
    /** No crash. */
    NEVER,
    /** After a PREPARE's vote is durable, before the vote is sent. */
    AFTER_VOTE_PERSISTED,
    /** After a COMMIT is durable, before it is acknowledged. */
    AFTER_COMMIT_PERSISTED,
    /** When a PREPARE arrives, before anything of it is written. */
    BEFORE_PREPARE
}
