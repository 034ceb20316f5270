package io.dtm.jepsen.history;

/**
 * The {@code f} of the clients' operations, and what each records. A submission's invocation value
 * is its order's facts ({@code {"services": [...], "units": n, "cents": n}}); its completion value
 * is {@code {"status": ..., "attempts": n}} with the coordinator's reason as the error. A read's
 * completion value is {@code {"outcome": ..., "status": ...}}.
 */
public final class ClientOps {
    /** The first submission of a new tid, through {@code DtmClient}. */
    public static final String SUBMIT = "submit";
    /**
     * The same tid with the same request again, any time later (while it runs, just after its
     * answer, or long after: past retention), through {@code DtmClient} or straight to one node.
     */
    public static final String RESUBMIT = "resubmit";
    /**
     * The tid of an earlier submission that was answered COMMITTED or ABORTED, with a different
     * request: the tid is the first request's, so this one must never be answered COMMITTED or
     * ABORTED. Its value holds the facts of this different request, which count for nothing.
     */
    public static final String RESUBMIT_OTHER = "resubmit-other";
    /**
     * A tid's status through one node: outcome {@code COMMIT}, {@code ABORT}, {@code NONE} (no
     * decision, or the log never saw it) or {@code FORGOTTEN} (its outcome is no longer retained).
     */
    public static final String READ = "read";
    /** After the final heal: new orders that must commit. */
    public static final String PROBE = "probe";

    private ClientOps() {
    }
}
