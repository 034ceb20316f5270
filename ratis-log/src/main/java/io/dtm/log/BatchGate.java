package io.dtm.log;

/**
 * When the next batch of records leaves for the log: pure, driven by {@link RecordBatcher}'s
 * thread under its lock. No timer: a batch leaves on an event (a record arrives, an entry is
 * acknowledged), never because some time has passed.
 *
 * <p>Records are <em>urgent</em> (Begin and Decide: a transaction, and so a client, waits for each)
 * or <em>background</em> (End: it only frees the coordinator's memory of the attempt). The rules:
 * <ul>
 * <li>Urgent records leave at once when no batch with urgent records is in flight, and otherwise as
 *     soon as the one ahead is acknowledged; whatever arrives meanwhile joins them. So an idle log
 *     adds no delay, and under load the batch size follows the load by itself: it is what arrives
 *     during one entry's round trip.
 * <li>Background records never hold urgent ones back: a batch in flight that carries only
 *     background records does not count for urgent ones (at one client, the previous transaction's
 *     End is always in flight when the next Begin comes). Background records ride along with the
 *     next urgent batch, or leave on their own when nothing at all is in flight.
 * <li>A full batch ({@code maxRecords} waiting) leaves without waiting for the one ahead, so under
 *     overload entries pipeline, up to {@code maxOutstanding} in flight; past that everything waits.
 * </ul>
 */
final class BatchGate {
    private final int maxRecords;
    private final int maxOutstanding;
    private int inFlight;
    private int urgentInFlight;

    BatchGate(int maxRecords, int maxOutstanding) {
        if (maxRecords < 1 || maxOutstanding < 1) {
            throw new IllegalArgumentException("maxRecords and maxOutstanding must be positive: " + maxRecords + ", "
                    + maxOutstanding);
        }
        this.maxRecords = maxRecords;
        this.maxOutstanding = maxOutstanding;
    }

    /** Whether a batch may leave now, with these many records waiting of each kind. */
    boolean mayLeave(int urgentWaiting, int backgroundWaiting) {
        if (inFlight >= maxOutstanding) {
            return false;
        }
        boolean full = urgentWaiting + backgroundWaiting >= maxRecords;
        if (urgentWaiting > 0) {
            return urgentInFlight == 0 || full;
        }
        return backgroundWaiting > 0 && (inFlight == 0 || full);
    }

    /** A batch left; {@code urgent}: it carries at least one urgent record. */
    void sent(boolean urgent) {
        inFlight++;
        if (urgent) {
            urgentInFlight++;
        }
    }

    /** A batch that left was answered (or failed): it is no longer in flight. */
    void answered(boolean urgent) {
        if (inFlight == 0 || (urgent && urgentInFlight == 0)) {
            throw new IllegalStateException("answered a batch that was not in flight");
        }
        inFlight--;
        if (urgent) {
            urgentInFlight--;
        }
    }

    int maxRecords() {
        return maxRecords;
    }
}
