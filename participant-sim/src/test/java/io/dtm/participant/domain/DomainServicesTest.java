package io.dtm.participant.domain;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtm.config.ServiceName;

import org.junit.jupiter.api.Test;

class DomainServicesTest {

    @Test
    void createsTheServiceOfEachNameWithItsOwnFreshState() {
        for (ServiceName name : ServiceName.values()) {
            DomainService first = DomainServices.create(name);

            assertThat(first.name()).isEqualTo(name);
            assertThat(DomainServices.create(name)).isNotSameAs(first);
        }
        assertThat(DomainServices.create(ServiceName.INVENTORY)).isInstanceOf(InventoryService.class);
        assertThat(DomainServices.create(ServiceName.PAYMENT)).isInstanceOf(PaymentService.class);
        assertThat(DomainServices.create(ServiceName.ORDER)).isInstanceOf(OrderService.class);
        assertThat(DomainServices.create(ServiceName.SHIPPING)).isInstanceOf(ShippingService.class);
    }
}
