package io.dtm.pki;

import io.dtm.pki.CertificateAuthority.Issued;
import io.dtm.pki.Identity.Role;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a cluster CA issues: certificates its CA signs, naming a role and the hosts, good for both ends of TLS. */
class CertificateAuthorityTest {
    static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private final SecureRandom random = new SecureRandom();
    private final CertificateAuthority ca = CertificateAuthority.create("local", NOW, Duration.ofDays(3650), random);

    @Test
    void theCaIsSelfSignedAndMayOnlySignLeafCertificates() throws Exception {
        X509Certificate certificate = ca.certificate();

        certificate.verify(certificate.getPublicKey());
        assertThat(certificate.getBasicConstraints()).as("a CA with path length 0").isEqualTo(0);
        assertThat(certificate.getKeyUsage()[5]).as("keyCertSign").isTrue();
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=dtm local CA,O=dtm");
        assertThat(Identity.of(certificate)).as("the CA speaks for no process").isEmpty();
    }

    @Test
    void anIssuedCertificateNamesItsIdentityAndHostsAndIsSignedByTheCa() throws Exception {
        Issued n1 = ca.issue(Identity.node("n1"), List.of("127.0.0.1", "node-1.example", "::1"), NOW, Duration.ofDays(30));
        X509Certificate certificate = n1.certificate();

        certificate.verify(ca.certificate().getPublicKey());
        certificate.checkValidity(java.util.Date.from(NOW));
        assertThat(Identity.of(certificate)).contains(new Identity(Role.NODE, "n1"));
        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=n1,OU=node,O=dtm");
        assertThat(ClusterCertificates.hosts(certificate)).containsExactly("127.0.0.1", "node-1.example", "0:0:0:0:0:0:0:1");
        assertThat(certificate.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        assertThat(certificate.getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(certificate.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(30)));
        assertThat(certificate.getNotBefore().toInstant()).as("backdated for clocks a little behind")
                .isEqualTo(NOW.minus(CertificateAuthority.BACKDATE));
        assertThat(n1.key().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void everyCertificateHasItsOwnKeyAndSerial() {
        Issued a = ca.issue(Identity.service("payment"), List.of("127.0.0.1"), NOW, Duration.ofDays(1));
        Issued b = ca.issue(Identity.service("payment"), List.of("127.0.0.1"), NOW, Duration.ofDays(1));

        assertThat(a.certificate().getSerialNumber()).isNotEqualTo(b.certificate().getSerialNumber());
        assertThat(a.certificate().getPublicKey()).isNotEqualTo(b.certificate().getPublicKey());
    }

    @Test
    void subjectsThatNameNoRoleOfOursGiveNoIdentity() {
        assertThat(Identity.ofSubject("CN=n1,OU=node,O=dtm")).contains(Identity.node("n1"));
        assertThat(Identity.ofSubject("CN=n1,OU=node,O=acme")).as("another organisation").isEmpty();
        assertThat(Identity.ofSubject("CN=n1,OU=root,O=dtm")).as("an unknown role").isEmpty();
        assertThat(Identity.ofSubject("CN=n1,O=dtm")).as("no role").isEmpty();
        assertThat(Identity.ofSubject("CN=n1,OU=client,OU=node,O=dtm")).as("two roles").isEmpty();
        assertThat(Identity.ofSubject("CN=n1+OU=node,O=dtm")).as("multi-valued").isEmpty();
        assertThat(Identity.ofSubject("CN=a b,OU=client,O=dtm")).as("a name we could not print safely").isEmpty();
        assertThatThrownBy(() -> new Identity(Role.CLIENT, "a,b")).isInstanceOf(IllegalArgumentException.class);
    }
}
