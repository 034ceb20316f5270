package io.dtm.rpc;

import io.dtm.config.ClusterConfig;
import io.dtm.config.ConfigException;
import io.dtm.config.TlsConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;

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

    private static TlsConfig.Files material(ClusterConfig config, String process) {
        return config.tlsFiles(process, "its TLS links");
    }

    private static ConfigException unusable(ClusterConfig config, TlsConfig.Files files, String process, Exception e) {
        return new ConfigException(config.source(), List.of("tls: the certificate or key of " + process + " ("
                + files.cert() + ", " + files.key() + ") or the CA file " + files.ca() + " cannot be used: " + e.getMessage()));
    }
}
