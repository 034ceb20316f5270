package io.dtm.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The four participant services of an e-commerce order. Each has a lower-case {@linkplain #id()
 * id} that is its name in YAML, in JSON input and output, and on the wire.
 */
public enum ServiceName {
    INVENTORY,
    PAYMENT,
    ORDER,
    SHIPPING;

    private final String id = name().toLowerCase(Locale.ROOT);

    /** The lower-case name used in configuration files, JSON and protocol messages. */
    public String id() {
        return id;
    }

    /**
     * The service with this id; matching is exact (ids are lower case everywhere), so a caller
     * that accepts user input reports the unknown id together with {@link #knownIds()}.
     */
    public static Optional<ServiceName> fromId(String id) {
        for (ServiceName service : values()) {
            if (service.id.equals(id)) {
                return Optional.of(service);
            }
        }
        return Optional.empty();
    }

    /** The ids of all services, in declaration order: {@code "inventory, payment, order, shipping"}. */
    public static String knownIds() {
        return Arrays.stream(values()).map(ServiceName::id).collect(Collectors.joining(", "));
    }
}
