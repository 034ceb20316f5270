package io.dtm.participant.domain;

import io.dtm.config.ServiceName;

/** Creates the domain service of each participant, with empty state (seed or load it next). */
public final class DomainServices {

    private DomainServices() {
    }

    /** A service that keeps every record in memory: for a caller that loads everything stored. */
    public static DomainService create(ServiceName service) {
        return switch (service) {
            case INVENTORY -> new InventoryService();
            case PAYMENT -> new PaymentService();
            case ORDER -> new OrderService();
            case SHIPPING -> new ShippingService();
        };
    }

    /** A service over {@code store} with the default cache capacities. */
    public static DomainService create(ServiceName service, RecordReader store) {
        return create(service, store, switch (service) {
            case ORDER -> OrderService.DEFAULT_CACHE;
            case SHIPPING -> ShippingService.DEFAULT_CACHE;
            case INVENTORY, PAYMENT -> RecordCache.UNBOUNDED; // a fixed set of records, all in memory
        });
    }

    /**
     * A service over {@code store} that keeps at most about {@code cacheCapacity} of the records
     * that grow with the transactions (orders, shipments) in memory.
     */
    public static DomainService create(ServiceName service, RecordReader store, int cacheCapacity) {
        return switch (service) {
            case INVENTORY -> new InventoryService();
            case PAYMENT -> new PaymentService();
            case ORDER -> new OrderService(store, cacheCapacity);
            case SHIPPING -> new ShippingService(store, cacheCapacity);
        };
    }
}
