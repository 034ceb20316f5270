package io.dtm.log.raft;

import io.dtm.config.ClusterConfig;
import io.dtm.config.GroupCommitConfig;
import io.dtm.config.LogConfig;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The Ratis properties of a log server, as derived from the cluster configuration. */
class RaftSettingsTest {
    private static RaftProperties serverProperties(ClusterConfig config) {
        return RaftSettings.server(config, config.nodes().get(0), Path.of("/nonexistent"));
    }

    @Test
    void theReplicationIntervalIsTheAppendersWaitTimeWhichItsPacerUsesForABusyFollower() {
        ClusterConfig defaults = ClusterConfig.loadDefault();
        assertThat(RaftServerConfigKeys.Log.Appender.waitTimeMin(serverProperties(defaults)).toLong(TimeUnit.MILLISECONDS))
                .as("0 by default: a busy follower's entries go when it answers, no timer").isZero();

        LogConfig log = defaults.log();
        GroupCommitConfig gc = log.groupCommit();
        ClusterConfig slower = defaults.withLog(log.withGroupCommit(new GroupCommitConfig(gc.maxRecords(),
                gc.maxOutstandingBatches(), 20)));
        assertThat(RaftServerConfigKeys.Log.Appender.waitTimeMin(serverProperties(slower)).toLong(TimeUnit.MILLISECONDS))
                .isEqualTo(20);
    }

    @Test
    void serversUseTheGrpcTransportWithTheDtmAppender() {
        assertThat(RaftConfigKeys.Rpc.type(serverProperties(ClusterConfig.loadDefault()), s -> { }))
                .isInstanceOf(DtmGrpc.class);
    }
}
