package io.dtm.log.raft;

import io.dtm.pki.Identity;
import io.dtm.pki.PemFiles;

import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The Raft port's trust: the cluster's CA, and of its certificates only those of the cluster's
 * nodes. Ratis cannot tell one client certificate from another, so without this any certificate of
 * the CA (a client's, a service's) could append records or run admin operations there; with it the
 * handshake itself refuses everyone but the nodes. Both directions: a node serves only nodes, and
 * dials only a peer whose certificate is a node's (and names the address it dialled: hostname
 * checks stay with the JDK's trust manager this one wraps).
 */
final class NodesOnlyTrust extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager ca;
    private final RaftNodes nodes;

    private NodesOnlyTrust(X509ExtendedTrustManager ca, RaftNodes nodes) {
        this.ca = ca;
        this.nodes = nodes;
    }

    /** Trust in {@code caFile}'s certificates, narrowed to node certificates naming one of {@code nodes}. */
    static TrustManager of(Path caFile, RaftNodes nodes) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        int i = 0;
        for (X509Certificate ca : PemFiles.readCertificates(caFile)) {
            store.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager extended) {
                return new NodesOnlyTrust(extended, nodes);
            }
        }
        throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
    }

    /** A key manager presenting {@code cert} with {@code key}. */
    static KeyManager keyManager(Path certFile, Path keyFile) throws GeneralSecurityException {
        List<X509Certificate> chain = PemFiles.readCertificates(certFile);
        PrivateKey key = PemFiles.readKey(keyFile);
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (java.io.IOException e) {
            throw new GeneralSecurityException(e);
        }
        char[] password = new char[0];
        store.setKeyEntry("key", key, password, chain.toArray(X509Certificate[]::new));
        KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        factory.init(store, password);
        return factory.getKeyManagers()[0];
    }

    private void requireNode(X509Certificate[] chain) throws CertificateException {
        Identity who = Identity.of(chain[0]).orElseThrow(() ->
                new CertificateException("the Raft port takes node certificates only; this one names no role"));
        if (who.role() != Identity.Role.NODE || !nodes.contains(who.name())) {
            throw new CertificateException("the Raft port takes the cluster's node certificates only, not " + who);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        ca.checkClientTrusted(chain, authType, socket);
        requireNode(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        ca.checkServerTrusted(chain, authType, socket);
        requireNode(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        ca.checkClientTrusted(chain, authType, engine);
        requireNode(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        ca.checkServerTrusted(chain, authType, engine);
        requireNode(chain);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        ca.checkClientTrusted(chain, authType);
        requireNode(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        ca.checkServerTrusted(chain, authType);
        requireNode(chain);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return ca.getAcceptedIssuers();
    }
}
