package io.dtm.protocol;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * SHA-256 with one {@link MessageDigest} per thread: looking one up per call
 * ({@code MessageDigest.getInstance}) costs a provider lookup and a new object on paths that run
 * once per transaction (request digests, tracking ids).
 */
public final class Sha256 {
    private static final ThreadLocal<MessageDigest> DIGEST = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    });

    private Sha256() {
    }

    /** The 32-byte SHA-256 of {@code input}. */
    public static byte[] of(byte[] input) {
        return DIGEST.get().digest(input); // digest() also resets it for the next call
    }
}
