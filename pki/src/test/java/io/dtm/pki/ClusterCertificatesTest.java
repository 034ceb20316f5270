package io.dtm.pki;

import io.dtm.pki.ClusterCertificates.Holder;
import io.dtm.pki.ClusterCertificates.Shown;
import io.dtm.pki.Identity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A cluster's certificates on disk: made once, the CA key apart and owner-only, rotated without a new CA. */
class ClusterCertificatesTest {
    static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    static final List<Holder> HOLDERS = List.of(
            new Holder("n1", Identity.node("n1"), List.of("127.0.0.1")),
            new Holder("payment", Identity.service("payment"), List.of("127.0.0.1", "localhost")),
            new Holder("client", new Identity(Role.CLIENT, "client"), List.of()),
            new Holder("admin", new Identity(Role.ADMIN, "admin"), List.of()));

    @TempDir
    Path dir;
    private final SecureRandom random = new SecureRandom();

    private ClusterCertificates certificates() {
        return new ClusterCertificates(dir.resolve("tls"), dir.resolve("ca"));
    }

    @Test
    void createMakesTheCaAndOneCertificatePerProcessWithKeysOwnerOnly() throws Exception {
        List<String> made = certificates().create("local", HOLDERS, NOW, random);

        assertThat(made).hasSize(5);
        try (var files = Files.list(dir.resolve("tls"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("ca.pem",
                    "n1.pem", "n1.key", "payment.pem", "payment.key", "client.pem", "client.key", "admin.pem", "admin.key");
        }
        assertThat(Files.exists(dir.resolve("ca/ca.key"))).as("the CA key lives apart").isTrue();
        for (String key : List.of("ca/ca.key", "tls/n1.key", "tls/payment.key", "tls/client.key", "tls/admin.key")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key)))).as(key)
                    .isEqualTo("rw-------");
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca")))).isEqualTo("rwx------");
        X509Certificate ca = PemFiles.readCertificate(dir.resolve("tls/ca.pem"));
        X509Certificate payment = PemFiles.readCertificate(dir.resolve("tls/payment.pem"));
        payment.verify(ca.getPublicKey());
        assertThat(PemFiles.readKey(dir.resolve("tls/payment.key")).getAlgorithm()).isEqualTo("EC");
        assertThat(certificates().show()).extracting(s -> s.name() + " " + s.identity().orElseThrow() + " " + s.state(NOW))
                .containsExactly("admin admin admin ok", "client client client ok", "n1 node n1 ok",
                        "payment service payment ok");
    }

    @Test
    void createAgainMakesOnlyWhatIsMissing() {
        certificates().create("local", HOLDERS, NOW, random);
        String serial = serial("n1");
        certificates().create("local", HOLDERS, NOW, random);
        assertThat(serial("n1")).isEqualTo(serial);

        List<String> made = certificates().create("local", List.of(HOLDERS.get(0),
                new Holder("n4", Identity.node("n4"), List.of("10.0.0.4"))), NOW, random);
        assertThat(made).singleElement().asString().startsWith("node n4: ");
        assertThat(serial("n1")).isEqualTo(serial);
    }

    @Test
    void rotateGivesNewKeysFromTheSameCa() throws Exception {
        certificates().create("local", HOLDERS, NOW, random);
        String serial = serial("payment");
        String key = Files.readString(dir.resolve("tls/payment.key"));
        String ca = Files.readString(dir.resolve("tls/ca.pem"));

        certificates().rotate(List.of(HOLDERS.get(1)), NOW.plus(Duration.ofDays(1)), random);

        assertThat(serial("payment")).isNotEqualTo(serial);
        assertThat(Files.readString(dir.resolve("tls/payment.key"))).isNotEqualTo(key);
        assertThat(Files.readString(dir.resolve("tls/ca.pem"))).isEqualTo(ca);
        assertThat(certificates().show()).filteredOn(s -> s.name().equals("payment")).singleElement()
                .extracting(s -> s.state(NOW.plus(Duration.ofDays(1)))).isEqualTo("ok");
    }

    @Test
    void showSaysWhatIsWrongWithACertificate() {
        certificates().create("local", HOLDERS, NOW, random);
        // Another CA's certificate dropped into the directory, and a key gone.
        new ClusterCertificates(dir.resolve("other"), dir.resolve("other-ca")).create("other",
                List.of(new Holder("n9", Identity.node("n9"), List.of())), NOW, random);
        PemFiles.writeCertificates(dir.resolve("tls/n9.pem"), PemFiles.readCertificates(dir.resolve("other/n9.pem")));
        assertThat(dir.resolve("tls/client.key").toFile().delete()).isTrue();

        List<Shown> shown = certificates().show();
        assertThat(shown).extracting(s -> s.name() + ": " + s.state(NOW)).containsExactly("admin: ok",
                "client: NO KEY FILE", "n1: ok", "n9: NOT SIGNED BY ca.pem", "payment: ok");
        assertThat(shown.get(0).state(NOW.plus(ClusterCertificates.VALIDITY).plusSeconds(1))).isEqualTo("EXPIRED");
    }

    @Test
    void withoutTheCaKeyNothingCanBeIssuedAndTheMessageSaysWhy() throws Exception {
        certificates().create("local", HOLDERS, NOW, random);
        Files.delete(dir.resolve("ca/ca.key"));

        assertThatThrownBy(() -> certificates().create("local",
                List.of(new Holder("n4", Identity.node("n4"), List.of())), NOW, random))
                .isInstanceOf(PkiException.class)
                .hasMessageContaining(dir.resolve("ca/ca.key").toString())
                .hasMessageContaining("no certificate can be issued");
    }

    private String serial(String name) {
        return PemFiles.readCertificate(dir.resolve("tls/" + name + ".pem")).getSerialNumber().toString(16);
    }
}
