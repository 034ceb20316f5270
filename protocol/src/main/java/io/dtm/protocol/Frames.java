package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * The framing shared by every DTM connection: a 4-byte big-endian length, then that many bytes of
 * one protobuf message.
 */
public final class Frames {

    /** Default largest message, not counting the length field: 4 MiB. */
    public static final int DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

    /** Size of the length prefix in front of every frame. */
    public static final int LENGTH_FIELD_BYTES = 4;

    /** Pipeline name of the {@link FrameDecoder}. */
    public static final String DECODER_NAME = "frameDecoder";

    /** Pipeline name of the {@link FrameEncoder}. */
    public static final String ENCODER_NAME = "frameEncoder";

    /** Pipeline name of the {@link FlushConsolidationHandler}. */
    public static final String FLUSH_NAME = "flushConsolidation";

    private Frames() {
    }

    /**
     * Appends the framing to an empty {@code pipeline}, in this order from the head: the
     * {@link FrameEncoder} (outbound: messages to frames, one buffer per flush), a
     * {@link FlushConsolidationHandler} and the {@link FrameDecoder} (inbound: bytes to {@code T}).
     * Add the handler that consumes the messages after it, so its writes pass through both.
     *
     * <p>The consolidation handler holds flushes back while a read is in progress (replies to a
     * batch of requests go out together at the end of the read) and otherwise lets one flush
     * through per event-loop turn, so concurrent calls share a system call. It sits between the
     * handler and the encoder, so the encoder's buffer gathers every frame written up to the flush
     * that reaches the socket.
     */
    public static <T extends MessageLite> void addCodec(
            ChannelPipeline pipeline, Parser<T> parser, int maxFrameBytes) {
        pipeline.addLast(ENCODER_NAME, new FrameEncoder(maxFrameBytes));
        pipeline.addLast(FLUSH_NAME, new FlushConsolidationHandler(
                FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        pipeline.addLast(DECODER_NAME, new FrameDecoder<>(parser, maxFrameBytes));
    }

    static int checkMaxFrameBytes(int maxFrameBytes) {
        if (maxFrameBytes < 1 || maxFrameBytes > Integer.MAX_VALUE - LENGTH_FIELD_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be in [1, "
                    + (Integer.MAX_VALUE - LENGTH_FIELD_BYTES) + "], got " + maxFrameBytes);
        }
        return maxFrameBytes;
    }
}
