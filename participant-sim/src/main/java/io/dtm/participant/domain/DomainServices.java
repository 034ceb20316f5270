package io.dtm.participant.domain;

import io.dtm.config.ServiceName;

/** Creates the domain service of each participant, with empty state (seed or load it next). */
public final class DomainServices {

    private DomainServices() {
    }

    public static DomainService create(ServiceName service) {
        return switch (service) {
            case INVENTORY -> new InventoryService();
            case PAYMENT -> new PaymentService();
            case ORDER -> new OrderService();
            case SHIPPING -> new ShippingService();
        };
    }
}
