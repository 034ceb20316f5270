package io.dtm.cli;

import io.dtm.config.ClusterConfig;
import io.dtm.pki.PemFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code dtm certs create|show|rotate} as an operator runs them, on a directory of its own. */
class CertsCommandTest {
    @TempDir
    Path tmp;

    @Test
    void createShowAndRotateTheCertificatesOfADirectory() throws Exception {
        Path dir = tmp.resolve("c");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cluster.yaml"), ClusterConfig.loadDefault().withDataDir(dir.resolve("data"))
                .withTlsDir(dir.resolve("tls")).toYaml());

        CliRun create = CliRun.of("certs", "create", "--dir", dir.toString());
        assertThat(create.exitCode()).as(create.err()).isZero();
        assertThat(create.out()).contains("created CA").contains("node n1: ").contains("service payment: ")
                .contains("admin admin: ").contains("client client: ").contains("request digest key");
        assertThat(dir.resolve("ca/ca.key")).exists();

        CliRun again = CliRun.of("certs", "create", "--dir", dir.toString());
        assertThat(again.out()).contains("nothing to make");

        CliRun show = CliRun.of("certs", "show", "--dir", dir.toString());
        assertThat(show.exitCode()).as(show.out()).isZero();
        assertThat(show.out()).containsPattern("n1 +node n1 +127.0.0.1 .* ok")
                .containsPattern("payment +service payment +127.0.0.1 .* ok")
                .containsPattern("admin +admin admin +- .* ok");

        String serial = PemFiles.readCertificate(dir.resolve("tls/n2.pem")).getSerialNumber().toString();
        CliRun rotate = CliRun.of("certs", "rotate", "n2", "--dir", dir.toString());
        assertThat(rotate.exitCode()).as(rotate.err()).isZero();
        assertThat(rotate.out()).contains("rotated node n2").contains("restart the processes");
        assertThat(PemFiles.readCertificate(dir.resolve("tls/n2.pem")).getSerialNumber().toString()).isNotEqualTo(serial);

        Files.delete(dir.resolve("tls/client.key"));
        CliRun broken = CliRun.of("certs", "show", "--dir", dir.toString());
        assertThat(broken.exitCode()).isEqualTo(1);
        assertThat(broken.out()).containsPattern("client +client client .* NO KEY FILE");

        CliRun unknown = CliRun.of("certs", "rotate", "n7", "--dir", dir.toString());
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown process n7").contains("n1, n2, n3");
    }

    @Test
    void showWithoutACaSaysHowToMakeOne() {
        CliRun show = CliRun.of("certs", "show", "--dir", tmp.resolve("none").toString(), "--config",
                writeConfig().toString());
        assertThat(show.exitCode()).isEqualTo(1);
        assertThat(show.err()).contains("no CA certificate at").contains("./dtm certs create");
    }

    private Path writeConfig() {
        try {
            Path file = tmp.resolve("other.yaml");
            Files.writeString(file, ClusterConfig.loadDefault().withDataDir(tmp.resolve("none/data")).toYaml());
            return file;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
