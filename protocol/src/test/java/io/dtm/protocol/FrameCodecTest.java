package io.dtm.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.MessageLite;
import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.TxnStatusRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.TooLongFrameException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameCodecTest {

    private static final int MAX_FRAME_BYTES = 64;

    @Test
    void severalFramesInOneBufferDecodeInOrder() {
        List<Request> sent = List.of(request(1, "t1"), request(2, "t2"), request(3, ""), Request.getDefaultInstance());
        ByteBuf wire = Unpooled.buffer();
        for (Request request : sent) {
            wire.writeBytes(encode(request));
        }

        EmbeddedChannel decoder = decoderChannel();
        decoder.writeInbound(wire);

        assertThat(readAllInbound(decoder)).containsExactlyElementsOf(sent);
        assertThat(decoder.finish()).isFalse();
    }

    @Test
    void frameSplitAcrossBuffersAtAnyPointIsReassembled() {
        Request request = request(42, "a-transaction-id");
        byte[] frame = encode(request);

        // Every split point, including inside the 4-byte length field.
        for (int split = 1; split < frame.length; split++) {
            EmbeddedChannel decoder = decoderChannel();
            decoder.writeInbound(Unpooled.wrappedBuffer(frame, 0, split));
            assertThat(decoder.<Object>readInbound()).as("message after %d bytes", split).isNull();

            decoder.writeInbound(Unpooled.wrappedBuffer(frame, split, frame.length - split));
            assertThat(decoder.<Object>readInbound()).as("split at %d", split).isEqualTo(request);
            assertThat(decoder.finish()).isFalse();
        }
    }

    @Test
    void encoderWritesLengthThenMessage() {
        Request request = request(7, "t7");

        byte[] frame = encode(request);

        ByteBuf wire = Unpooled.wrappedBuffer(frame);
        assertThat(wire.readInt()).isEqualTo(request.getSerializedSize());
        assertThat(wire.readableBytes()).isEqualTo(request.getSerializedSize());
    }

    @Test
    void frameOfExactlyTheMaximumIsAccepted() {
        Request request = requestOfSize(MAX_FRAME_BYTES);

        EmbeddedChannel decoder = decoderChannel();
        decoder.writeInbound(Unpooled.wrappedBuffer(encode(request)));

        assertThat(decoder.<Object>readInbound()).isEqualTo(request);
    }

    @Test
    void decoderRefusesLengthOverTheMaximumAndTheChannelCloses() {
        ErrorRecorder errors = new ErrorRecorder();
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX_FRAME_BYTES), errors);

        // Only the length is sent: the frame must be refused before its body arrives.
        decoder.writeInbound(Unpooled.buffer().writeInt(MAX_FRAME_BYTES + 1));

        assertThat(errors.cause).isInstanceOf(TooLongFrameException.class)
                .hasMessageContaining(String.valueOf(MAX_FRAME_BYTES + 1))
                .hasMessageContaining(String.valueOf(MAX_FRAME_BYTES));
        assertThat(decoder.isOpen()).isFalse();
        assertThat(decoder.<Object>readInbound()).isNull();
    }

    @Test
    void decoderTreatsLengthAsUnsigned() {
        EmbeddedChannel decoder = decoderChannel();

        assertThatThrownBy(() -> decoder.writeInbound(Unpooled.buffer().writeInt(0xFFFF_FFFF)))
                .isInstanceOf(TooLongFrameException.class)
                .hasMessageContaining("4294967295");
    }

    @Test
    void decoderDiscardsEverythingAfterATooLongFrame() {
        EmbeddedChannel decoder = decoderChannel();
        assertThatThrownBy(() -> decoder.writeInbound(Unpooled.buffer().writeInt(MAX_FRAME_BYTES + 1)))
                .isInstanceOf(TooLongFrameException.class);

        // The rest of the stream is untrustworthy even if it happens to look like a valid frame.
        decoder.writeInbound(Unpooled.wrappedBuffer(encode(request(1, "t1"))));

        assertThat(decoder.<Object>readInbound()).isNull();
    }

    @Test
    void bytesThatDoNotParseAreACorruptedFrame() {
        ErrorRecorder errors = new ErrorRecorder();
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX_FRAME_BYTES), errors);

        decoder.writeInbound(garbageFrame());

        assertThat(errors.cause).isInstanceOf(CorruptedFrameException.class)
                .hasMessageContaining("frame of 8 bytes is not a valid message");
        assertThat(decoder.isOpen()).isFalse();
    }

    @Test
    void encoderRefusesMessageOverTheMaximum() {
        Request request = requestOfSize(MAX_FRAME_BYTES + 1);
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder(MAX_FRAME_BYTES));

        assertThatThrownBy(() -> encoder.writeOutbound(request))
                .isInstanceOf(EncoderException.class)
                .hasMessageContaining((MAX_FRAME_BYTES + 1) + " bytes")
                .hasMessageContaining("maximum frame size of " + MAX_FRAME_BYTES + " bytes");
        assertThat(encoder.<Object>readOutbound()).isNull();
    }

    @Test
    void addCodecPutsTheEncoderNextToTheHeadAndTheFlushConsolidationBetween() {
        EmbeddedChannel channel = new EmbeddedChannel();

        Frames.addCodec(channel.pipeline(), Request.parser(), MAX_FRAME_BYTES);

        // The encoder must see only the flushes the consolidation lets through.
        assertThat(channel.pipeline().names())
                .containsSubsequence(Frames.ENCODER_NAME, Frames.FLUSH_NAME, Frames.DECODER_NAME);
        Request request = request(5, "t5");
        channel.writeOutbound(request);
        ByteBuf frame = channel.readOutbound();
        channel.writeInbound(frame);
        assertThat(channel.<Object>readInbound()).isEqualTo(request);
    }

    @Test
    void framesWrittenBeforeAFlushLeaveInOneBufferInOrder() {
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder(MAX_FRAME_BYTES));
        List<Request> sent = List.of(request(1, "t1"), request(2, "t2"), request(3, "t3"));
        List<ChannelFuture> writes = new ArrayList<>();
        for (Request request : sent) {
            writes.add(encoder.write(request));
        }
        assertThat(encoder.outboundMessages()).as("nothing leaves before the flush").isEmpty();
        assertThat(writes).noneMatch(ChannelFuture::isDone);

        encoder.flush();

        assertThat(encoder.outboundMessages()).hasSize(1);
        assertThat(writes).allMatch(ChannelFuture::isSuccess);
        assertThat(decodeAll(encoder.readOutbound())).containsExactlyElementsOf(sent);
        assertThat(encoder.finish()).isFalse();
    }

    @Test
    void anOversizeMessageFailsOnlyItsOwnWrite() {
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder(MAX_FRAME_BYTES));

        ChannelFuture before = encoder.write(request(1, "t1"));
        ChannelFuture oversize = encoder.write(requestOfSize(MAX_FRAME_BYTES + 1));
        ChannelFuture after = encoder.write(request(2, "t2"));
        encoder.flush();

        assertThat(oversize.cause()).isInstanceOf(EncoderException.class)
                .hasMessageContaining("maximum frame size of " + MAX_FRAME_BYTES + " bytes");
        assertThat(before.isSuccess()).isTrue();
        assertThat(after.isSuccess()).isTrue();
        assertThat(decodeAll(encoder.readOutbound())).containsExactly(request(1, "t1"), request(2, "t2"));
        assertThat(encoder.finish()).isFalse();
    }

    @Test
    void aLongRunOfWritesIsPassedOnInBuffersOfBoundedSize() {
        int maxFrameBytes = 1024;
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder(maxFrameBytes));
        List<Request> sent = new ArrayList<>();
        for (int i = 0; i < 300; i++) {   // 300 frames of about 1 KB: several buffers' worth
            sent.add(request(i, "t" + i + "-" + "x".repeat(1000)));
        }
        sent.forEach(encoder::write);
        encoder.flush();

        List<Object> received = new ArrayList<>();
        int buffers = 0;
        for (ByteBuf buffer = encoder.readOutbound(); buffer != null; buffer = encoder.readOutbound()) {
            buffers++;
            assertThat(buffer.readableBytes()).isLessThanOrEqualTo(FrameEncoder.MAX_BUFFER_BYTES);
            received.addAll(decodeAll(buffer));
        }
        assertThat(buffers).isGreaterThan(1);
        assertThat(received).containsExactlyElementsOf(sent);
    }

    @Test
    void closingBeforeTheFlushFailsTheUnflushedWrites() {
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder(MAX_FRAME_BYTES));
        ChannelFuture unflushed = encoder.write(request(1, "t1"));

        encoder.close();

        assertThat(unflushed.cause()).isInstanceOf(ClosedChannelException.class);
        assertThat(encoder.outboundMessages()).isEmpty();
    }

    /** Decodes (and releases) a buffer holding whole frames. */
    private static List<Object> decodeAll(ByteBuf frames) {
        EmbeddedChannel decoder = new EmbeddedChannel(new FrameDecoder<>(Request.parser(), Frames.DEFAULT_MAX_FRAME_BYTES));
        decoder.writeInbound(frames);
        List<Object> messages = readAllInbound(decoder);
        assertThat(decoder.finish()).as("no partial frame left").isFalse();
        return messages;
    }

    static ByteBuf garbageFrame() {
        // 0xFF bytes form a varint that never ends: no protobuf parser accepts them.
        byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
            (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        return Unpooled.buffer().writeInt(garbage.length).writeBytes(garbage);
    }

    private static EmbeddedChannel decoderChannel() {
        return new EmbeddedChannel(new FrameDecoder<>(Request.parser(), MAX_FRAME_BYTES));
    }

    private static byte[] encode(MessageLite message) {
        EmbeddedChannel encoder = new EmbeddedChannel(new FrameEncoder(Frames.DEFAULT_MAX_FRAME_BYTES));
        encoder.writeOutbound(message);
        ByteBuf frame = encoder.readOutbound();
        try {
            byte[] bytes = new byte[frame.readableBytes()];
            frame.readBytes(bytes);
            return bytes;
        } finally {
            frame.release();
            encoder.finishAndReleaseAll();
        }
    }

    private static List<Object> readAllInbound(EmbeddedChannel channel) {
        List<Object> messages = new ArrayList<>();
        for (Object message = channel.readInbound(); message != null; message = channel.readInbound()) {
            messages.add(message);
        }
        return messages;
    }

    static Request request(long requestId, String tid) {
        return Request.newBuilder()
                .setRequestId(requestId)
                .setTxnStatus(TxnStatusRequest.newBuilder().setAttemptId(tid))
                .build();
    }

    /** A request whose serialised form is exactly {@code size} bytes (size at least 4). */
    private static Request requestOfSize(int size) {
        // Tags and lengths: 1 byte for the txn_status tag, its length, the tid tag, the tid length.
        Request request = request(0, "x".repeat(size - 4));
        assertThat(request.getSerializedSize()).isEqualTo(size);
        return request;
    }

    /** Stands in for a real connection handler: records the failure and closes the channel. */
    private static final class ErrorRecorder extends ChannelInboundHandlerAdapter {
        Throwable cause;

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            this.cause = cause;
            ctx.close();
        }
    }
}
