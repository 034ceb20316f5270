package io.dtm.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * The typed error carried in every reply ({@code Error.code} on the wire).
 *
 * <p>Numbers are part of the protocol: a constant keeps its number forever, and a retired number is
 * never given to a new constant. A peer running a newer version may send a number this version
 * does not know; {@link #forCode(int)} maps it to {@link #UNKNOWN_ERROR} rather than failing.
 *
 * <p>{@link #retriable()} tells a client whether sending the same request again (possibly to
 * another node) can succeed.
 */
public enum ErrorCode {
    NONE(0, false, "no error"),
    UNKNOWN_ERROR(1, false, "an error this version does not know (sent by a newer peer)"),
    INTERNAL(2, false, "unexpected internal failure; the server logged it with its stack"),
    INVALID_REQUEST(3, false, "malformed or invalid request"),
    NOT_LEADER(4, true, "this node is not the leader; retry on the leader named in the reply"),
    UNAVAILABLE(5, true, "no leader, or the log cannot be reached right now"),
    TIMEOUT(6, true, "the operation did not finish in time"),
    OVERLOADED(7, true, "the server is overloaded; back off and retry"),
    UNKNOWN_SERVICE(8, false, "no such service"),
    FRAME_TOO_LARGE(9, false, "the message exceeds the maximum frame size"),
    CONFLICT(10, false, "conflicts with an earlier request (e.g. same tid, different request)"),
    NOT_FOUND(11, false, "not found"),
    DISABLED(12, false, "the server was started with this feature off"),
    PERMISSION_DENIED(13, false, "the role in the client's certificate may not send this request");

    private static final Map<Integer, ErrorCode> BY_CODE = indexByCode();

    private final int code;
    private final boolean retriable;
    private final String description;

    ErrorCode(int code, boolean retriable, String description) {
        this.code = code;
        this.retriable = retriable;
        this.description = description;
    }

    /** The stable number sent on the wire. */
    public int code() {
        return code;
    }

    /** True when the same request may succeed if sent again (later, or to another node). */
    public boolean retriable() {
        return retriable;
    }

    /** A short human-readable explanation, used when a reply gives no message of its own. */
    public String description() {
        return description;
    }

    /**
     * The constant with this wire number, or {@link #UNKNOWN_ERROR} for a number this version does
     * not know.
     */
    public static ErrorCode forCode(int code) {
        return BY_CODE.getOrDefault(code, UNKNOWN_ERROR);
    }

    /** The code of a wire error; an absent error ({@code null} or the default instance) is NONE. */
    public static ErrorCode of(io.dtm.protocol.rpc.Error error) {
        return error == null ? NONE : forCode(error.getCode());
    }

    /**
     * A wire error with this code and {@code message}, or this code's description when the
     * message is null or empty.
     */
    public io.dtm.protocol.rpc.Error toProto(String message) {
        return io.dtm.protocol.rpc.Error.newBuilder()
                .setCode(code)
                .setMessage(message == null || message.isEmpty() ? description : message)
                .build();
    }

    private static Map<Integer, ErrorCode> indexByCode() {
        Map<Integer, ErrorCode> byCode = new HashMap<>();
        for (ErrorCode error : values()) {
            ErrorCode previous = byCode.put(error.code, error);
            // A reused number would silently change the meaning of replies from older peers.
            if (previous != null) {
                throw new IllegalStateException(
                        "error code " + error.code + " used by both " + previous + " and " + error);
            }
        }
        return Map.copyOf(byCode);
    }
}
