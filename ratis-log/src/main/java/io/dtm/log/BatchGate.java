package io.dtm.log;

/**
 * When the next batch of records leaves for the log: pure, driven by {@link RecordBatcher}'s
 * thread under its lock. No timer on a transaction's path: an urgent batch leaves on an event (a
 * record arrives, an entry is acknowledged), never because some time has passed.
 *
 * <p>Records are <em>urgent</em> (Begin and Decide: a transaction, and so a client, waits for each)
 * or <em>background</em> (End: it only frees the coordinator's memory of the attempt). The rules:
 * <ul>
 * <li>Urgent records leave at once when no batch with urgent records is in flight, and otherwise as
 *     soon as the one ahead is acknowledged; whatever arrives meanwhile joins them. So an idle log
 *     adds no delay, and under load the batch size follows the load by itself: it is what arrives
 *     during one entry's round trip.
 * <li>Background records never hold urgent ones back: a batch in flight that carries only
 *     background records does not count for urgent ones. Background records ride along with the
 *     next urgent batch, or leave on their own when nothing at all is in flight and the oldest has
 *     waited {@code backgroundLingerNanos}. Why they linger: at one client the previous
 *     transaction's End is decided a moment before the next Begin arrives. Sent alone, its entry
 *     is still being written and replicated when the Begin's entry comes, and Raft takes entries
 *     in order: every follower syncs the End before the Begin, and the Begin waits out both. Held
 *     back, the End rides in the Begin's entry, which costs one write. The linger delays only
 *     when the coordinator forgets an attempt it has finished, never an answer.
 * <li>A full batch ({@code maxRecords} waiting) leaves without waiting for the one ahead, so under
 *     overload entries pipeline, up to {@code maxOutstanding} in flight; past that everything waits.
 * </ul>
 */
final class BatchGate {
    private final int maxRecords;
    private final int maxOutstanding;
    private final long backgroundLingerNanos;
    private int inFlight;
    private int urgentInFlight;

    BatchGate(int maxRecords, int maxOutstanding, long backgroundLingerNanos) {
        if (maxRecords < 1 || maxOutstanding < 1 || backgroundLingerNanos < 0) {
            throw new IllegalArgumentException("maxRecords and maxOutstanding must be positive and the linger not "
                    + "negative: " + maxRecords + ", " + maxOutstanding + ", " + backgroundLingerNanos);
        }
        this.maxRecords = maxRecords;
        this.maxOutstanding = maxOutstanding;
        this.backgroundLingerNanos = backgroundLingerNanos;
    }

    /**
     * Whether a batch may leave now, with these many records waiting of each kind, the oldest
     * background one for {@code backgroundWaitedNanos}.
     */
    boolean mayLeave(int urgentWaiting, int backgroundWaiting, long backgroundWaitedNanos) {
        if (inFlight >= maxOutstanding) {
            return false;
        }
        boolean full = urgentWaiting + backgroundWaiting >= maxRecords;
        if (urgentWaiting > 0) {
            return urgentInFlight == 0 || full;
        }
        return backgroundWaiting > 0 && (full || (inFlight == 0 && backgroundWaitedNanos >= backgroundLingerNanos));
    }

    /**
     * How long the batching thread may sleep before {@link #mayLeave} can turn true with nothing
     * else happening: the rest of the background linger when only that holds a batch back, else
     * {@link Long#MAX_VALUE} (only an event, a record or an answer, can change it).
     */
    long nanosUntilDue(int urgentWaiting, int backgroundWaiting, long backgroundWaitedNanos) {
        if (urgentWaiting > 0 || backgroundWaiting == 0 || inFlight > 0) {
            return Long.MAX_VALUE;
        }
        return Math.max(0, backgroundLingerNanos - backgroundWaitedNanos);
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
