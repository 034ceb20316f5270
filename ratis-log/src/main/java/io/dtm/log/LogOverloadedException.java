package io.dtm.log;

import java.io.IOException;

/** The log appender's queue is full: the caller should shed load (answer OVERLOADED), not wait. */
public final class LogOverloadedException extends IOException {
    public LogOverloadedException(String message) {
        super(message);
    }
}
