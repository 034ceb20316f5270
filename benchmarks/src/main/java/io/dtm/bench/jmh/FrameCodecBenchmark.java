package io.dtm.bench.jmh;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.dtm.protocol.Frames;
import io.dtm.protocol.participant.Address;
import io.dtm.protocol.participant.InventoryRequest;
import io.dtm.protocol.participant.Item;
import io.dtm.protocol.participant.OrderLine;
import io.dtm.protocol.participant.OrderRequest;
import io.dtm.protocol.participant.ParticipantRequest;
import io.dtm.protocol.participant.ParticipantResponse;
import io.dtm.protocol.participant.PaymentRequest;
import io.dtm.protocol.participant.Prepare;
import io.dtm.protocol.participant.ShippingRequest;
import io.dtm.protocol.participant.Vote;
import io.dtm.protocol.participant.VoteCode;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.dtm.protocol.rpc.SubmitRequest;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The length-prefixed framing codec ({@code FrameEncoder}, {@code FrameDecoder}) with the protobuf
 * messages of the two hot exchanges: a client's SubmitRequest of a four-service order, and one
 * participant's Prepare and its Vote.
 *
 * <p>Each connection end is an {@link EmbeddedChannel} whose pipeline {@link Frames#addCodec} sets
 * up as on a real connection. A message is written outbound on one end, encoded into a frame, and
 * the frame is written inbound on the other end and decoded: the pipeline, buffer allocation,
 * serialisation and parsing are all measured, sockets and event loops are not. The envelope is
 * built per call with a fresh request id, as the clients do; the body inside it is built once (a
 * caller's own construction cost), so protobuf has its size memoised.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class FrameCodecBenchmark {

    private EmbeddedChannel client;
    private EmbeddedChannel node;
    private EmbeddedChannel coordinator;
    private EmbeddedChannel participant;
    private SubmitRequest submit;
    private Prepare prepare;
    private Vote yes;
    private long requestId;

    @Setup
    public void setUp() {
        client = endpoint(Response.parser());
        node = endpoint(Request.parser());
        coordinator = endpoint(ParticipantResponse.parser());
        participant = endpoint(ParticipantRequest.parser());
        submit = typicalOrder("bench-m3x9k2-000042");
        prepare = Prepare.newBuilder().setAttemptId(submit.getTid() + "#1").setPayment(submit.getPayment())
                .setRequestDigest(0x5DEECE66DL).build();
        yes = Vote.newBuilder().setYes(true).setCode(VoteCode.YES).build();
    }

    @TearDown
    public void tearDown() {
        for (EmbeddedChannel channel : new EmbeddedChannel[] {client, node, coordinator, participant}) {
            if (channel.finishAndReleaseAll()) {
                throw new IllegalStateException("a message was left unread on " + channel);
            }
        }
    }

    /** Client to node: a SubmitRequest with all four services' data, framed and parsed back. */
    @Benchmark
    public Request submitRequest() {
        return transfer(client, node, Request.newBuilder().setRequestId(++requestId).setSubmit(submit).build());
    }

    /** Coordinator to participant and back: a Prepare, then its YES vote. */
    @Benchmark
    public ParticipantResponse prepareAndVote() {
        ParticipantRequest received = transfer(coordinator, participant,
                ParticipantRequest.newBuilder().setRequestId(++requestId).setPrepare(prepare).build());
        return transfer(participant, coordinator,
                ParticipantResponse.newBuilder().setRequestId(received.getRequestId()).setVote(yes).build());
    }

    private static <T extends MessageLite> EmbeddedChannel endpoint(Parser<T> inbound) {
        EmbeddedChannel channel = new EmbeddedChannel();
        Frames.addCodec(channel.pipeline(), inbound, Frames.DEFAULT_MAX_FRAME_BYTES);
        return channel;
    }

    /** Sends {@code message} from one end's encoder to the other end's decoder; returns what arrived. */
    private static <T> T transfer(EmbeddedChannel from, EmbeddedChannel to, MessageLite message) {
        from.writeOutbound(message);
        ByteBuf frame = from.readOutbound();
        to.writeInbound(frame);
        T received = to.readInbound();
        if (received == null) {
            throw new IllegalStateException("a frame of " + message.getSerializedSize() + " bytes did not decode");
        }
        return received;
    }

    /** An ordinary order, like {@code dtm bench} sends: one SKU, paid by card, shipped to an address. */
    private static SubmitRequest typicalOrder(String tid) {
        String sku = "sku-0042";
        String account = "acct-0042";
        String orderId = "o-" + tid;
        return SubmitRequest.newBuilder()
                .setTid(tid)
                .setInventory(InventoryRequest.newBuilder()
                        .addItems(Item.newBuilder().setSku(sku).setQty(1)))
                .setPayment(PaymentRequest.newBuilder().setAccount(account).setCard("4111111111111111")
                        .setExpiry("12/99").setAmountCents(1250))
                .setOrder(OrderRequest.newBuilder().setOrderId(orderId).setCustomer(account)
                        .addLines(OrderLine.newBuilder().setSku(sku).setQty(1).setPriceCents(1250)))
                .setShipping(ShippingRequest.newBuilder().setOrderId(orderId).setDate("2026-12-24")
                        .setAddress(Address.newBuilder().setStreet("1 Main St").setCity("Springfield")
                                .setZip("12345").setCountry("US")))
                .build();
    }
}
