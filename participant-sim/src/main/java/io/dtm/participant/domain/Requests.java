package io.dtm.participant.domain;

import io.dtm.config.ServiceName;
import io.dtm.participant.store.Hold;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.VoteCode;

import java.util.Locale;

/** Shared pieces of request and hold handling, so every service words them the same way. */
final class Requests {

    private Requests() {
    }

    static Decision invalid(String message) {
        return Decision.no(VoteCode.INVALID_REQUEST, message);
    }

    /** The NO vote for a PREPARE that carries no request, or the request of another service. */
    static Decision wrongService(ServiceName service, Prepare request) {
        if (request.getRequestCase() == Prepare.RequestCase.REQUEST_NOT_SET) {
            return invalid(service.id() + " request missing");
        }
        String got = request.getRequestCase().name().toLowerCase(Locale.ROOT);
        return invalid("expected " + article(service.id()) + " request, got " + article(got) + " request");
    }

    /**
     * Holds come from this service's own votes, so one of another kind is a caller bug, not input
     * to refuse politely.
     */
    static void requireHold(ServiceName service, Hold hold, Hold.HoldCase expected) {
        if (hold == null || hold.getHoldCase() != expected) {
            String got = hold == null ? "no" : hold.getHoldCase().name().toLowerCase(Locale.ROOT);
            throw new IllegalArgumentException(service.id() + " service given " + got + " hold");
        }
    }

    /** The id part of {@code key}; a key this service never writes is a caller bug. */
    static String idOf(ServiceName service, String key, String prefix) {
        if (!key.startsWith(prefix) || key.length() == prefix.length()) {
            throw new IllegalArgumentException(service.id() + " service does not own record " + key);
        }
        return key.substring(prefix.length());
    }

    private static String article(String word) {
        return ("aeiou".indexOf(word.charAt(0)) >= 0 ? "an " : "a ") + word;
    }
}
