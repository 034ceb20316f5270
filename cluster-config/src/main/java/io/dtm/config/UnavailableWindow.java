package io.dtm.config;

/**
 * A span of time in which a participant service with injected faults answers no request, as if
 * partitioned away, although it keeps running.
 *
 * @param afterMs when the window opens, in milliseconds after the service started, not negative
 * @param forMs   how long it stays open, positive
 */
public record UnavailableWindow(long afterMs, long forMs) {
}
