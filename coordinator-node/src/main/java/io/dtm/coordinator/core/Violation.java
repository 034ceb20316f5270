package io.dtm.coordinator.core;

import io.dtm.config.ServiceName;

/**
 * A participant contradicting the log about a decided attempt (it refused the logged COMMIT or
 * ROLLBACK, or acknowledged the other outcome), as reported to operators.
 */
public record Violation(String attemptId, ServiceName service, String message, long sinceMs) {
}
