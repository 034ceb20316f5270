package io.dtm.participant;

import io.dtm.config.ServiceName;
import io.dtm.participant.domain.DomainServices;
import io.dtm.participant.domain.MemoryWriter;
import io.dtm.participant.domain.OrderService;
import io.dtm.participant.domain.ShippingService;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.ShippingRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.openjdk.jol.info.GraphLayout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a cached transaction, order and shipment cost on the heap, measured exactly (object graph
 * walk, JOL) for committed transactions of the benchmark's shape (tids like
 * {@code load-00000042#1}): what the default cache capacities are sized by. The bound catches a
 * change that makes the caches' worst case outgrow a small heap.
 */
class CacheFootprintTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final int N = 5_000;
    /** What the caches of one participant may take at their default capacities. */
    private static final long BUDGET_BYTES = 64L << 20;

    private static Prepare.Builder request(ServiceName service, int n) {
        String sku = String.format("sku-%04d", n % 1000);
        String account = String.format("acct-%04d", n % 1000);
        String orderId = "o-" + String.format("load-%08d-1", n);
        return switch (service) {
            case INVENTORY -> Prepare.newBuilder().setInventory(InventoryRequest.newBuilder()
                    .addItems(Item.newBuilder().setSku(sku).setQty(1)));
            case PAYMENT -> Prepare.newBuilder().setPayment(PaymentRequest.newBuilder().setAccount(account)
                    .setCard("4111111111111111").setExpiry("12/99").setAmountCents(1250));
            case ORDER -> Prepare.newBuilder().setOrder(OrderRequest.newBuilder().setOrderId(orderId)
                    .setCustomer(account).addLines(OrderLine.newBuilder().setSku(sku).setQty(1).setPriceCents(1250)));
            case SHIPPING -> Prepare.newBuilder().setShipping(ShippingRequest.newBuilder().setOrderId(orderId)
                    .setDate("2030-01-" + String.format("%02d", 1 + n % 28)).setAddress(Address.newBuilder()
                            .setStreet("1 Main St").setCity("Springfield").setZip("12345").setCountry("US")));
        };
    }

    @ParameterizedTest
    @EnumSource(ServiceName.class)
    void bytesPerCachedEntry(ServiceName service) {
        ParticipantCore core = new ParticipantCore(DomainServices.create(service));
        MemoryWriter store = new MemoryWriter();
        core.finishLoading(NOW, store);
        long coreBefore = GraphLayout.parseInstance(core).totalSize();
        long serviceBefore = GraphLayout.parseInstance(core.service()).totalSize();

        for (int n = 0; n < N; n++) {
            String tid = String.format("load-%08d#1", n);
            ParticipantRequest prepare = ParticipantRequest.newBuilder().setPrepare(request(service, n).setAttemptId(tid)).build();
            assertThat(core.handle(prepare, NOW, false, store).getVote().getYes()).isTrue();
            core.handle(ParticipantCoreTest.commit(tid), NOW, false, store);
            store.clearChanges();
        }

        long serviceGrowth = GraphLayout.parseInstance(core.service()).totalSize() - serviceBefore;
        double perTxn = (GraphLayout.parseInstance(core).totalSize() - coreBefore - serviceGrowth) / (double) N;
        double perRecord = serviceGrowth / (double) N;
        int records = switch (service) {
            case ORDER -> OrderService.DEFAULT_CACHE;
            case SHIPPING -> ShippingService.DEFAULT_CACHE;
            default -> 0;
        };
        double worst = perTxn * ParticipantCore.DEFAULT_TXN_CACHE + perRecord * records;
        System.out.printf("%s: %.0f bytes per cached transaction, %.0f per cached record; "
                + "full caches take %.1f MB%n", service.id(), perTxn, perRecord, worst / (1 << 20));

        assertThat(worst).isLessThan(BUDGET_BYTES);
    }
}
