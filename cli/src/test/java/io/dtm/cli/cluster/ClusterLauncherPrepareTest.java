package io.dtm.cli.cluster;

import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import io.dtm.config.DigestKeyFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What {@code dtm cluster start [--fault-injection]} writes in a directory before any process
 * starts: its cluster.yaml, and the cluster's request digest key.
 */
class ClusterLauncherPrepareTest {
    @TempDir
    Path tmp;

    private ClusterLauncher launcher(String name) {
        return new ClusterLauncher(new ClusterDir(tmp.resolve(name)), new PrintWriter(new StringWriter(), true));
    }

    @Test
    void aNewDirectoryHasFaultInjectionOffUnlessAskedFor() throws Exception {
        assertThat(launcher("plain").prepare(null, false).participants().faultInjection()).isFalse();
        assertThat(ClusterConfig.load(tmp.resolve("plain/cluster.yaml")).participants().faultInjection()).isFalse();

        assertThat(launcher("faulty").prepare(null, true).participants().faultInjection()).isTrue();
        assertThat(ClusterConfig.load(tmp.resolve("faulty/cluster.yaml")).participants().faultInjection())
                .as("written where every process reads it").isTrue();
    }

    @Test
    void aRestartWithoutTheFlagKeepsWhatTheDirectoryWasStartedWith() throws Exception {
        launcher("faulty").prepare(null, true);

        assertThat(launcher("faulty").prepare(null, false).participants().faultInjection()).isTrue();
    }

    @Test
    void aNewDirectoryGetsItsOwnDigestKeyOnceAndItsNodesAreToldWhere() throws Exception {
        ClusterConfig config = launcher("one").prepare(null, false);
        Path key = tmp.resolve("one/tls/digest.key");
        byte[] first = DigestKeyFile.read(key.getParent());

        assertThat(config.tlsDir()).isEqualTo(key.getParent());
        assertThat(ClusterConfig.load(tmp.resolve("one/cluster.yaml")).tlsDir()).isEqualTo(key.getParent());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");

        launcher("one").prepare(null, false);
        assertThat(DigestKeyFile.read(key.getParent())).as("a restart keeps the key").isEqualTo(first);
        launcher("two").prepare(null, false);
        assertThat(DigestKeyFile.read(tmp.resolve("two/tls"))).as("another cluster, another key").isNotEqualTo(first);
    }

    @Test
    void turningItOnForARunningDirectoryIsRefusedSayingWhy() throws Exception {
        launcher("plain").prepare(null, false);

        assertThatThrownBy(() -> launcher("plain").prepare(null, true)).isInstanceOf(UserException.class)
                .hasMessageContaining("already holds a cluster started with another configuration")
                .hasMessageContaining("it has fault injection off; --fault-injection applies to a new directory");
    }
}
