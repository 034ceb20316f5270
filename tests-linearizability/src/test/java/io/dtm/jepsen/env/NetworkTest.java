package io.dtm.jepsen.env;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The namespaces and the faults on them, for real: a TCP server in one namespace, connections
 * from another, links cut and healed. Runs as root with iproute2, iptables and python3 (as CI
 * does); skipped elsewhere, with the reason.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class NetworkTest {
    private Network net;
    private Process server;

    @BeforeEach
    void create() throws IOException {
        var why = Network.unsupported();
        assumeTrue(why.isEmpty(), () -> "skipped: " + why.orElse(""));
        assumeTrue(Sh.tryRun(List.of("python3", "--version")).exitCode() == 0, "skipped: no python3 for the test server");
        net = Network.create(List.of("a", "b", "c"));
        server = new ProcessBuilder(net.inside("b", List.of("python3", "-c",
                "import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                        + "s.bind(('" + net.address("b") + "',9000))\ns.listen(50)\n"
                        + "while True:\n  c,_=s.accept()\n  c.close()\n")))
                .redirectErrorStream(true).start();
        await("the server in b listens").atMost(java.time.Duration.ofSeconds(20)).until(() -> connects("c", "b"));
    }

    @AfterEach
    void destroy() {
        if (server != null) {
            server.destroyForcibly();
        }
        if (net != null) {
            net.close();
        }
    }

    private boolean connects(String from, String to) {
        return Sh.tryRun(net.inside(from, List.of("python3", "-c", "import socket\nsocket.create_connection(('"
                + net.address(to) + "',9000),timeout=1).close()"))).exitCode() == 0;
    }

    @Test
    void aCutLinkDropsOnlyThatPathAndHealingRestoresIt() {
        assertThat(connects("a", "b")).isTrue();

        net.drop("a", "b");
        assertThat(connects("a", "b")).isFalse();
        assertThat(connects("c", "b")).isTrue();
        assertThat(Sh.tryRun(List.of("python3", "-c", "import socket\nsocket.create_connection(('"
                + net.address("b") + "',9000),timeout=1).close()")).exitCode())
                .as("the harness, in the root namespace, still reaches b").isZero();

        net.heal();
        assertThat(connects("a", "b")).isTrue();
    }

    @Test
    void aPartitionSeparatesComponentsBothWays() {
        net.partition(List.of(Set.of("a"), Set.of("b", "c")));
        assertThat(connects("a", "b")).isFalse();
        assertThat(connects("c", "b")).isTrue();
        net.heal();
        assertThat(connects("a", "b")).isTrue();
    }

    @Test
    void reapingRemovesAVethPairThatOutlivedItsNamespace() {
        // What the kernel can leave for a while after `ip netns del`: a host-side veth of ours.
        Sh.run("ip", "link", "add", Network.PREFIX + "99h", "type", "veth", "peer", "name", Network.PREFIX + "99n");
        assertThat(Network.links()).contains(Network.PREFIX + "99h", Network.PREFIX + "99n");

        Network.reap();

        assertThat(Network.links()).isEmpty();
    }

    @Test
    void reapingLeavesNoNamespaceNoBridgeAndNoProcess() {
        long pid = server.pid();
        Network.reap();
        assertThat(Sh.run("ip", "netns", "list")).doesNotContain(Network.PREFIX + "-");
        assertThat(Sh.tryRun(List.of("ip", "link", "show", Network.BRIDGE)).exitCode()).isNotZero();
        await("the server was killed").atMost(java.time.Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }
}
