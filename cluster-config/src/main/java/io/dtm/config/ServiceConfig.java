package io.dtm.config;

import java.util.Objects;

/**
 * Where one participant service listens.
 *
 * @param host host name or IP address
 * @param port TCP port, unique on its host among all node and service ports
 */
public record ServiceConfig(String host, int port) {

    public ServiceConfig {
        Objects.requireNonNull(host, "host");
    }

    /** {@code host:port}. */
    public String address() {
        return host + ":" + port;
    }
}
