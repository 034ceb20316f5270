package io.dtm.client;

import io.dtm.config.ClusterConfig;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.rpc.SubmitRequest;
import io.dtm.protocol.rpc.SubmitResult;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The example program of docs/CLI.md, compiled with the tests so that it stays true: reserve stock and
 * charge a card in one transaction, and print its final status. Run it against a running cluster:
 * {@code java -cp ... io.dtm.client.PlaceOrderExample run/local/cluster.yaml}.
 */
public final class PlaceOrderExample {
    public static void main(String[] args) throws Exception {
        ClusterConfig cluster = ClusterConfig.load(Path.of(args[0]));
        // 5 s per request, 30 s in all (retries after a failover included), 1,000 in flight at most.
        try (DtmClient dtm = new DtmClient(cluster, Duration.ofSeconds(5), Duration.ofSeconds(30), 1_000)) {
            SubmitRequest order = SubmitRequest.newBuilder()
                    .setTid("order-42") // your idempotency key: submitting it again never runs it twice
                    .setInventory(InventoryRequest.newBuilder()
                            .addItems(Item.newBuilder().setSku("sku-0001").setQty(2)))
                    .setPayment(PaymentRequest.newBuilder().setAccount("acct-0001")
                            .setCard("4111111111111111").setExpiry("12/30").setAmountCents(2500))
                    .build();
            SubmitResult result = dtm.submit(order).join();
            switch (result.getStatus()) {
                case COMMITTED -> System.out.println("committed in " + result.getAttempts() + " attempt(s)");
                case ABORTED, REJECTED -> System.out.println(result.getStatus() + ": " + result.getReason());
                // The leader had no room for it until the deadline: nothing was logged. Send it again later.
                case OVERLOADED -> System.out.println("OVERLOADED, submit order-42 again later: " + result.getReason());
                // No answer by the deadline: the outcome is not known yet. Ask again with the same tid.
                default -> System.out.println("UNKNOWN, resubmit order-42 later: " + result.getReason());
            }
        }
    }
}
