package io.dtm.pki;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The certificates of one cluster on disk. What processes read lives in the TLS directory:
 * {@code ca.pem} (the CA's certificate, which every process trusts), and per process
 * {@code <name>.pem} and {@code <name>.key} (mode 0600). The CA's key lives apart, in its own
 * owner-only directory that no process reads ({@code ca.key}): only {@code dtm certs} and
 * {@code dtm cluster start} issue certificates.
 */
public final class ClusterCertificates {
    public static final String CA_CERTIFICATE = "ca.pem";
    public static final String CA_KEY = "ca.key";
    public static final Duration CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration VALIDITY = Duration.ofDays(825);

    private final Path tlsDir;
    private final Path caDir;

    /** A process certificate to have: its file name (the process's name), who it speaks for, where it serves. */
    public record Holder(String name, Identity identity, List<String> hosts) {
        public Holder {
            hosts = List.copyOf(hosts);
        }
    }

    /** What {@link #show} finds for one certificate file. */
    public record Shown(String name, Optional<Identity> identity, List<String> hosts, Instant notBefore,
            Instant notAfter, String serial, boolean signedByCa, boolean keyPresent) {

        /** {@code ok}, or what is wrong with it at {@code now}. */
        public String state(Instant now) {
            if (!signedByCa) {
                return "NOT SIGNED BY " + CA_CERTIFICATE;
            }
            if (identity.isEmpty()) {
                return "NAMES NO ROLE";
            }
            if (now.isAfter(notAfter)) {
                return "EXPIRED";
            }
            if (now.isBefore(notBefore)) {
                return "NOT YET VALID";
            }
            if (!keyPresent) {
                return "NO KEY FILE";
            }
            return "ok";
        }
    }

    public ClusterCertificates(Path tlsDir, Path caDir) {
        this.tlsDir = tlsDir.toAbsolutePath().normalize();
        this.caDir = caDir.toAbsolutePath().normalize();
    }

    public Path tlsDir() {
        return tlsDir;
    }

    public Path caCertificateFile() {
        return tlsDir.resolve(CA_CERTIFICATE);
    }

    public Path caKeyFile() {
        return caDir.resolve(CA_KEY);
    }

    public Path certificateFile(String name) {
        return tlsDir.resolve(name + ".pem");
    }

    public Path keyFile(String name) {
        return tlsDir.resolve(name + ".key");
    }

    /**
     * Makes what is missing: the CA (when neither its certificate nor its key is there), then a
     * certificate and key for each holder that has none. Returns what it wrote, one line each.
     */
    public List<String> create(String clusterName, Collection<Holder> holders, Instant now, SecureRandom random) {
        List<String> made = new ArrayList<>();
        List<Holder> missing = holders.stream()
                .filter(h -> !Files.exists(certificateFile(h.name())) || !Files.exists(keyFile(h.name()))).toList();
        boolean noCa = !Files.exists(caCertificateFile()) && !Files.exists(caKeyFile());
        if (noCa) {
            CertificateAuthority ca = CertificateAuthority.create(clusterName, now, CA_VALIDITY, random);
            PemFiles.ensureDir(caDir);
            PemFiles.writeKey(caKeyFile(), ca.key());
            PemFiles.writeCertificates(caCertificateFile(), List.of(ca.certificate()));
            made.add("CA " + ca.certificate().getSubjectX500Principal().getName() + ": " + caCertificateFile()
                    + " (its key " + caKeyFile() + ")");
        }
        if (missing.isEmpty()) {
            return made;
        }
        CertificateAuthority ca = authority(random);
        for (Holder holder : missing) {
            made.add(write(ca.issue(holder.identity(), holder.hosts(), now, VALIDITY), holder));
        }
        return made;
    }

    /** New keys and certificates for these holders, from the same CA (their peers need no change). */
    public List<String> rotate(Collection<Holder> holders, Instant now, SecureRandom random) {
        CertificateAuthority ca = authority(random);
        List<String> made = new ArrayList<>();
        for (Holder holder : holders) {
            made.add(write(ca.issue(holder.identity(), holder.hosts(), now, VALIDITY), holder));
        }
        return made;
    }

    /** Every process certificate in the TLS directory, by name, as it stands against {@code ca.pem}. */
    public List<Shown> show() {
        X509Certificate ca = PemFiles.readCertificate(caCertificateFile());
        List<Shown> shown = new ArrayList<>();
        try (Stream<Path> files = Files.list(tlsDir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".pem"))
                    .filter(f -> !f.getFileName().toString().equals(CA_CERTIFICATE)).sorted().toList()) {
                String name = file.getFileName().toString();
                name = name.substring(0, name.length() - ".pem".length());
                X509Certificate certificate = PemFiles.readCertificate(file);
                shown.add(new Shown(name, Identity.of(certificate), hosts(certificate),
                        certificate.getNotBefore().toInstant(), certificate.getNotAfter().toInstant(),
                        certificate.getSerialNumber().toString(16), signedBy(certificate, ca),
                        Files.exists(keyFile(name))));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + tlsDir, e);
        }
        return shown;
    }

    private CertificateAuthority authority(SecureRandom random) {
        if (!Files.exists(caKeyFile())) {
            throw new PkiException("the CA's key " + caKeyFile() + " is not here, so no certificate can be issued"
                    + (Files.exists(caCertificateFile()) ? " (its certificate " + caCertificateFile() + " is)" : "")
                    + ": issue them with the PKI that made " + CA_CERTIFICATE + ", or move that directory away to"
                    + " start a new CA");
        }
        X509Certificate certificate = PemFiles.readCertificate(caCertificateFile());
        PrivateKey key = PemFiles.readKey(caKeyFile());
        return new CertificateAuthority(certificate, key, random);
    }

    private String write(CertificateAuthority.Issued issued, Holder holder) {
        PemFiles.writeKey(keyFile(holder.name()), issued.key());
        PemFiles.writeCertificates(certificateFile(holder.name()), List.of(issued.certificate()));
        return holder.identity() + ": " + certificateFile(holder.name()) + " (hosts " + String.join(", ", holder.hosts())
                + "; until " + issued.certificate().getNotAfter().toInstant() + ")";
    }

    static boolean signedBy(X509Certificate certificate, X509Certificate ca) {
        try {
            certificate.verify(ca.getPublicKey());
            return certificate.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** The DNS names and IP addresses a certificate names. */
    public static List<String> hosts(X509Certificate certificate) {
        try {
            Collection<List<?>> names = certificate.getSubjectAlternativeNames();
            if (names == null) {
                return List.of();
            }
            return names.stream().filter(n -> n.get(0) instanceof Integer type && (type == 2 || type == 7))
                    .map(n -> n.get(1).toString()).toList();
        } catch (CertificateParsingException e) {
            return List.of();
        }
    }
}
