package io.dtm.cli.submit;

import io.dtm.protocol.rpc.SubmitRequest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The input format of {@code dtm submit}: what parses into which request, and what each mistake says. */
class OrderJsonTest {
    /** The example line of the input format, as docs/CLI.md and {@code dtm submit --help} give it. */
    private static final String EXAMPLE = "{\"tid\":\"t-1\",\"services\":{\"inventory\":{\"items\":[{\"sku\":\"sku-0001\","
            + "\"qty\":2,\"expectedVersion\":3}]},\"payment\":{\"account\":\"acct-0001\",\"card\":\"4111111111111111\","
            + "\"expiry\":\"12/30\",\"amountCents\":2500},\"order\":{\"orderId\":\"o-1\",\"customer\":\"acct-0001\","
            + "\"lines\":[{\"sku\":\"sku-0001\",\"qty\":2,\"priceCents\":1250}]},\"shipping\":{\"orderId\":\"o-1\","
            + "\"address\":{\"street\":\"1 Main St\",\"city\":\"Springfield\",\"zip\":\"12345\",\"country\":\"US\"},"
            + "\"date\":\"2026-12-24\"}}}";

    @Test
    void theExampleLineBecomesARequestToAllFourServices() throws Exception {
        SubmitRequest r = OrderJson.parse(EXAMPLE);
        assertThat(r.getTid()).isEqualTo("t-1");
        assertThat(r.getInventory().getItems(0).getSku()).isEqualTo("sku-0001");
        assertThat(r.getInventory().getItems(0).getQty()).isEqualTo(2);
        assertThat(r.getInventory().getItems(0).getExpectedVersion()).isEqualTo(3);
        assertThat(r.getPayment().getCard()).isEqualTo("4111111111111111");
        assertThat(r.getPayment().getExpiry()).isEqualTo("12/30");
        assertThat(r.getPayment().getAmountCents()).isEqualTo(2500);
        assertThat(r.getOrder().getOrderId()).isEqualTo("o-1");
        assertThat(r.getOrder().getLines(0).getPriceCents()).isEqualTo(1250);
        assertThat(r.getShipping().getAddress().getCity()).isEqualTo("Springfield");
        assertThat(r.getShipping().getDate()).isEqualTo("2026-12-24");
    }

    @Test
    void anySubsetOfServicesAndNoExpectedVersionIsFine() throws Exception {
        SubmitRequest r = OrderJson.parse("{\"tid\":\"t-2\",\"services\":{\"inventory\":{\"items\":[{\"sku\":\"sku-0002\","
                + "\"qty\":1}]}}}");
        assertThat(r.hasInventory()).isTrue();
        assertThat(r.hasPayment() || r.hasOrder() || r.hasShipping()).isFalse();
        assertThat(r.getInventory().getItems(0).hasExpectedVersion()).isFalse();
    }

    @Test
    void eachMistakeNamesItsFieldAndTheProblem() {
        assertProblem("{\"tid\":\"t-1\",\"services\":{", "not valid JSON at column");
        assertProblem("[1,2]", "the line: expected an object, got a list");
        assertProblem("{\"services\":{\"payment\":{}}}", "tid: missing");
        assertProblem("{\"tid\":7,\"services\":{}}", "tid: expected a string, got the number 7");
        assertProblem("{\"tid\":\"t\"}", "services: missing");
        assertProblem("{\"tid\":\"t\",\"services\":{}}", "services: at least one of inventory, payment, order, shipping");
        assertProblem("{\"tid\":\"t\",\"services\":{\"loyalty\":{}}}", "services.loyalty: unknown service");
        assertProblem("{\"tid\":\"t\",\"sevices\":{}}", "sevices: unknown field");
        assertProblem(EXAMPLE.replace("\"qty\":2,\"expectedVersion\"", "\"qty\":2.5,\"expectedVersion\""),
                "services.inventory.items[0].qty: expected a whole number, got the number 2.5");
        assertProblem(EXAMPLE.replace("\"items\":[", "\"items\":{\"x\":[").replace("3}]}", "3}]}}"),
                "services.inventory.items: expected a list, got an object");
        assertProblem(EXAMPLE.replace("\"zip\"", "\"postcode\""), "services.shipping.address.postcode: unknown field");
    }

    @Test
    void aRepeatedKeyOrTrailingTextIsAnErrorNotASilentChoice() {
        assertProblem("{\"tid\":\"t-1\",\"tid\":\"t-2\",\"services\":{\"payment\":{}}}", "Duplicate field 'tid'");
        assertProblem(EXAMPLE + " {}", "not valid JSON");
    }

    @Test
    void aCardNumberOfTheWrongTypeIsNeverEchoed() {
        assertThatThrownBy(() -> OrderJson.parse(EXAMPLE.replace("\"4111111111111111\"", "4111111111111111")))
                .hasMessageContaining("services.payment.card: expected a string, got a number")
                .message().doesNotContain("4111111111111111");
    }

    @Test
    void theTidOfALineIsFoundForItsErrorReportWhenThereIsOne() {
        assertThat(OrderJson.tidOf("{\"tid\":\"t-9\",\"services\":{\"x\":1}}")).isEqualTo("t-9");
        assertThat(OrderJson.tidOf("{\"tid\":\"t-9\",")).isNull();
        assertThat(OrderJson.tidOf("{\"tid\":9}")).isNull();
    }

    private static void assertProblem(String line, String message) {
        assertThatThrownBy(() -> OrderJson.parse(line)).as(line)
                .isInstanceOf(OrderJson.FormatException.class)
                .hasMessageContaining(message);
    }
}
