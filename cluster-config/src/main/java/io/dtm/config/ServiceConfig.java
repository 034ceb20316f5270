package io.dtm.config;

import java.util.Objects;

/**
 * Where one participant service listens, and the faults it injects.
 *
 * @param host   host name or IP address
 * @param port   TCP port, unique on its host among all node and service ports
 * @param faults faults to inject; {@link FaultsConfig#none()} for a well-behaved service
 */
public record ServiceConfig(String host, int port, FaultsConfig faults) {

    public ServiceConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(faults, "faults");
    }

    /** A service without faults. */
    public ServiceConfig(String host, int port) {
        this(host, port, FaultsConfig.none());
    }

    /** {@code host:port}. */
    public String address() {
        return host + ":" + port;
    }
}
