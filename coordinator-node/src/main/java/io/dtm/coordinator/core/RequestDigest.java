package io.dtm.coordinator.core;

import io.dtm.config.DigestKeyFile;

import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keyed digest that recognises the same request under a reused tid: HMAC-SHA256 with the
 * cluster's secret digest key, first 8 bytes.
 *
 * <p>Why keyed: the digest is stored in the log, at the services, and returned by TXN_STATUS and
 * LOG_DUMP, and a request holds a card number. Unkeyed, anyone who read a digest could recover the
 * card by hashing candidates (the last four digits and the issuer's prefix leave about 10^7). Keyed
 * with a secret only the nodes hold, a digest says nothing to whoever lacks the key.
 *
 * <p>Every node of a cluster must use the same key: a leader that computed another digest for the
 * same request would take a resubmission after a failover for a different request. The key is
 * created once with the cluster ({@code DIR/tls/digest.key}) and read by each node at start.
 */
public final class RequestDigest {
    private static final int KEY_BYTES = DigestKeyFile.KEY_BYTES;
    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    private RequestDigest(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("a digest key is " + KEY_BYTES + " bytes, got " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), ALGORITHM);
        // One Mac per thread: getInstance looks the provider up and allocates on every call.
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** A digest keyed with these {@link DigestKeyFile#KEY_BYTES} bytes. */
    public static RequestDigest withKey(byte[] key) {
        return new RequestDigest(key);
    }

    /** The digest of these bytes (a request serialised deterministically): never 0, which the log reads as "none". */
    public long of(byte[] bytes) {
        long digest = ByteBuffer.wrap(macs.get().doFinal(bytes)).getLong(); // doFinal also resets the Mac
        return digest == 0 ? 1 : digest;
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(key);
            return mac;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("every Java platform must provide " + ALGORITHM, e);
        }
    }

    /** Never the key: settings are logged. */
    @Override
    public String toString() {
        return "RequestDigest[" + ALGORITHM + ", key fingerprint " + fingerprint() + "]";
    }

    /**
     * A short public name of the key (the digest of an empty input), for logs: two nodes with different
     * fingerprints have different keys and would not recognise each other's resubmissions.
     */
    public String fingerprint() {
        return String.format("%016x", ByteBuffer.wrap(newMac().doFinal(new byte[0])).getLong());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestDigest other && Arrays.equals(key.getEncoded(), other.key.getEncoded());
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key.getEncoded());
    }
}
