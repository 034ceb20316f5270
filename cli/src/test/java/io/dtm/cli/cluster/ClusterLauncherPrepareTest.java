package io.dtm.cli.cluster;

import io.dtm.cli.UserException;
import io.dtm.config.ClusterConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@code dtm cluster start [--fault-injection]} writes as a directory's cluster.yaml, before any process starts. */
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
    void turningItOnForARunningDirectoryIsRefusedSayingWhy() throws Exception {
        launcher("plain").prepare(null, false);

        assertThatThrownBy(() -> launcher("plain").prepare(null, true)).isInstanceOf(UserException.class)
                .hasMessageContaining("already holds a cluster started with another configuration")
                .hasMessageContaining("it has fault injection off; --fault-injection applies to a new directory");
    }
}
