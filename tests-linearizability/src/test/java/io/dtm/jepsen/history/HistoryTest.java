package io.dtm.jepsen.history;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HistoryTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final List<Op> sunk = new ArrayList<>();
    private final History history = new History(clock::get, sunk::add);

    @Test
    void opsAreNumberedTimedFromTheStartAndSentToTheSinkAsTheyHappen() {
        clock.set(1_500);
        Op invoke = history.invoke(3, "submit", Map.of("units", 2), "n1", "t-1");
        clock.set(2_000);
        Op done = history.complete(invoke, OpType.OK, Map.of("status", "COMMITTED"), null);

        assertThat(invoke.index()).isZero();
        assertThat(invoke.time()).isEqualTo(500);
        assertThat(done.index()).isEqualTo(1);
        assertThat(done.time()).isEqualTo(1_000);
        assertThat(done.process()).isEqualTo(3);
        assertThat(done.f()).isEqualTo("submit");
        assertThat(done.node()).isEqualTo("n1");
        assertThat(done.tid()).isEqualTo("t-1");
        assertThat(sunk).containsExactly(invoke, done);
        assertThat(history.ops()).containsExactly(invoke, done);
    }

    @Test
    void nemesisOperationsAreInfoAtBothEnds() {
        Op start = history.nemesis("start-kill-leader", Map.of("target", "n2"), "n2");
        Op done = history.complete(start, OpType.INFO, Map.of("killed", "n2"), null);
        assertThat(start.type()).isEqualTo(OpType.INFO);
        assertThat(start.isNemesis()).isTrue();
        assertThat(done.process()).isEqualTo(Op.NEMESIS);
        assertThatThrownBy(() -> history.complete(start, OpType.OK, null, null)).hasMessageContaining("info");
    }

    @Test
    void aJsonLineReadsBackAsTheSameOp() throws Exception {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("services", List.of("inventory", "payment"));
        value.put("units", 2);
        Op op = new Op(7, 123_456_789L, OpType.FAIL, 4, "submit", value, "payment: CARD_DECLINED: \"x\"", "n3", "t-9");
        String line = HistoryJson.line(op);
        assertThat(line).isEqualTo("{\"index\":7,\"time\":123456789,\"type\":\"fail\",\"process\":4,\"f\":\"submit\","
                + "\"value\":{\"services\":[\"inventory\",\"payment\"],\"units\":2},"
                + "\"error\":\"payment: CARD_DECLINED: \\\"x\\\"\",\"node\":\"n3\",\"tid\":\"t-9\"}");
        assertThat(HistoryJson.parse(line)).isEqualTo(op);

        Op nemesis = new Op(8, 5, OpType.INFO, Op.NEMESIS, "start-pause-leader", null, null, "n1", null);
        assertThat(HistoryJson.line(nemesis)).contains("\"process\":\"nemesis\"").doesNotContain("tid");
        assertThat(HistoryJson.parse(HistoryJson.line(nemesis))).isEqualTo(nemesis);
    }

    @Test
    void anEdnLineIsJepsensFormat() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("status", "ABORTED");
        value.put("services", List.of("order", "shipping"));
        value.put("ok", true);
        Op op = new Op(2, 99, OpType.FAIL, 1, "submit", value, "say \"no\"\n", "n2", "t-1");
        assertThat(HistoryEdn.line(op)).isEqualTo("{:index 2, :time 99, :type :fail, :process 1, :f :submit, "
                + ":value {:status \"ABORTED\", :services [\"order\" \"shipping\"], :ok true}, "
                + ":error \"say \\\"no\\\"\\n\", :node \"n2\", :tid \"t-1\"}");
        Op nemesis = new Op(3, 100, OpType.INFO, Op.NEMESIS, "start-kill-leader", null, null, null, null);
        assertThat(HistoryEdn.line(nemesis)).isEqualTo(
                "{:index 3, :time 100, :type :info, :process :nemesis, :f :start-kill-leader, :value nil}");
    }
}
