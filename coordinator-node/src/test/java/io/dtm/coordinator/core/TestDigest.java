package io.dtm.coordinator.core;

/** The request digest the unit tests and the simulation key with: a fixed key, so digests repeat from run to run. */
public final class TestDigest {
    public static final RequestDigest KEYED = RequestDigest.withKey(key());

    private TestDigest() {
    }

    private static byte[] key() {
        byte[] key = new byte[32];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i + 1);
        }
        return key;
    }
}
