package io.dtm.protocol;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.channel.ChannelPipeline;

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

    private Frames() {
    }

    /**
     * Appends the frame decoder (inbound: bytes to {@code T}) and encoder (outbound: any message to
     * bytes) to {@code pipeline}. Call it before adding the handler that consumes the messages, so
     * the handler sits after both and its writes pass through the encoder.
     */
    public static <T extends MessageLite> void addCodec(
            ChannelPipeline pipeline, Parser<T> parser, int maxFrameBytes) {
        pipeline.addLast(DECODER_NAME, new FrameDecoder<>(parser, maxFrameBytes));
        pipeline.addLast(ENCODER_NAME, new FrameEncoder(maxFrameBytes));
    }

    static int checkMaxFrameBytes(int maxFrameBytes) {
        if (maxFrameBytes < 1 || maxFrameBytes > Integer.MAX_VALUE - LENGTH_FIELD_BYTES) {
            throw new IllegalArgumentException("maxFrameBytes must be in [1, "
                    + (Integer.MAX_VALUE - LENGTH_FIELD_BYTES) + "], got " + maxFrameBytes);
        }
        return maxFrameBytes;
    }
}
