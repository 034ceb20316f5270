package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.TlsConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import io.dtm.pki.PemFiles;
import io.dtm.pki.PkiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * The TLS contexts of one process, from the cluster's configuration and that process's name (its
 * certificate is {@code <name>.pem}): TLS 1.3 only, the cluster's CA the only one trusted, a
 * certificate required from both ends, and a server's certificate checked against the host its
 * client dialled. BoringSSL (netty-tcnative) where its native library loads, else the JDK's provider
 * (docs/PERFORMANCE.md has what each costs).
 */
public final class TlsContexts {
    public static final String PROTOCOL = "TLSv1.3";

    private static final Logger LOG = LoggerFactory.getLogger(TlsContexts.class);

    private TlsContexts() {
    }

    /** Says, at every start of a node or service, that TLS is off when it is: nothing else will. */
    public static void warnIfOff(ClusterConfig config, String process) {
        if (!config.tls().enabled()) {
            LOG.warn("[{}] TLS IS OFF (tls.enabled: false in {}): this process's links are in clear text, card numbers"
                    + " included, and its port serves anyone who can reach it, whatever they ask", process,
                    config.source());
        }
    }

    /** The context {@code process} serves with, or empty when {@code tls.enabled} is false. */
    public static Optional<SslContext> server(ClusterConfig config, String process) {
        if (!config.tls().enabled()) {
            return Optional.empty();
        }
        TlsConfig.Files files = material(config, process);
        try {
            return Optional.of(SslContextBuilder.forServer(files.cert().toFile(), files.key().toFile())
                    .trustManager(files.ca().toFile())
                    .clientAuth(ClientAuth.REQUIRE)
                    .protocols(PROTOCOL)
                    .sslProvider(provider())
                    .build());
        } catch (SSLException | IllegalArgumentException e) {
            throw unusable(config, files, process, e);
        }
    }

    /** BoringSSL when netty-tcnative loads here (Linux x86_64 ships with the build), else the JDK's. */
    public static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /** The context {@code process} connects with, or empty when {@code tls.enabled} is false. */
    public static Optional<SslContext> client(ClusterConfig config, String process) {
        if (!config.tls().enabled()) {
            return Optional.empty();
        }
        TlsConfig.Files files = material(config, process);
        try {
            return Optional.of(SslContextBuilder.forClient()
                    .keyManager(files.cert().toFile(), files.key().toFile())
                    .trustManager(files.ca().toFile())
                    .protocols(PROTOCOL)
                    .endpointIdentificationAlgorithm("HTTPS")
                    .sslProvider(provider())
                    .build());
        } catch (SSLException | IllegalArgumentException e) {
            throw unusable(config, files, process, e);
        }
    }

    /**
     * The JDK context {@code process} connects with (its certificate and key, the cluster's CA the
     * only one trusted), for JDK clients such as {@code java.net.http.HttpClient} reading a node's
     * admin port with {@code admin}'s certificate; or empty when {@code tls.enabled} is false. The
     * HttpClient checks the server's certificate names the host it dialled by itself.
     */
    public static Optional<SSLContext> jdkClient(ClusterConfig config, String process) {
        if (!config.tls().enabled()) {
            return Optional.empty();
        }
        TlsConfig.Files files = material(config, process);
        try {
            return Optional.of(jdk(PemFiles.readCertificates(files.ca()), PemFiles.readKey(files.key()),
                    PemFiles.readCertificates(files.cert())));
        } catch (PkiException | IllegalStateException e) {
            throw unusable(config, files, process, e);
        }
    }

    /**
     * A JDK TLS 1.3 context trusting {@code trusted} only and presenting {@code chain} with {@code key}
     * (none when {@code key} is null).
     *
     * @throws IllegalStateException when the JDK refuses the key or a certificate
     */
    public static SSLContext jdk(List<X509Certificate> trusted, PrivateKey key, List<X509Certificate> chain) {
        try {
            char[] password = new char[0]; // the store lives in memory only
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            if (key != null) {
                keys.setKeyEntry("key", key, password, chain.toArray(X509Certificate[]::new));
            }
            KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keyManagers.init(keys, password);
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            for (int i = 0; i < trusted.size(); i++) {
                trust.setCertificateEntry("ca-" + i, trusted.get(i));
            }
            TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trustManagers.init(trust);
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keyManagers.getKeyManagers(), trustManagers.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot make a TLS context: " + e.getMessage(), e);
        }
    }

    private static TlsConfig.Files material(ClusterConfig config, String process) {
        return config.tlsFiles(process, "its TLS links");
    }

    private static ConfigException unusable(ClusterConfig config, TlsConfig.Files files, String process, Exception e) {
        return new ConfigException(config.source(), List.of("tls: the certificate or key of " + process + " ("
                + files.cert() + ", " + files.key() + ") or the CA file " + files.ca() + " cannot be used: " + e.getMessage()));
    }
}
