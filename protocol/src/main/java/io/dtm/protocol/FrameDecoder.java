package io.dtm.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.TooLongFrameException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Splits the inbound byte stream into frames (a 4-byte big-endian length, then that many bytes)
 * and parses each frame into a protobuf message of type {@code T}.
 *
 * <p>A frame longer than the maximum raises {@link TooLongFrameException} as soon as its length is
 * read, before its body arrives; bytes that do not parse raise {@link CorruptedFrameException}.
 * After a too-long frame the stream can no longer be trusted, so this decoder discards everything
 * that follows: the channel is expected to be closed by whoever handles the exception.
 *
 * <p>Not sharable: it keeps per-connection state.
 *
 * @param <T> the message type carried in each frame
 */
public final class FrameDecoder<T extends MessageLite> extends LengthFieldBasedFrameDecoder {

    private final Parser<T> parser;
    private final int maxFrameBytes;
    private boolean broken;

    /**
     * @param parser parses one frame's bytes
     * @param maxFrameBytes the largest accepted message, not counting the 4-byte length field
     */
    public FrameDecoder(Parser<T> parser, int maxFrameBytes) {
        // Netty's limit counts the length field too; our own check below gives the clearer error.
        super(ByteOrder.BIG_ENDIAN, Frames.checkMaxFrameBytes(maxFrameBytes) + Frames.LENGTH_FIELD_BYTES,
                0, Frames.LENGTH_FIELD_BYTES, 0, Frames.LENGTH_FIELD_BYTES, true);
        this.parser = Objects.requireNonNull(parser, "parser");
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (broken) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        rejectTooLong(in);
        ByteBuf frame = (ByteBuf) super.decode(ctx, in);
        if (frame == null) {
            return null;
        }
        try {
            return parse(frame);
        } finally {
            frame.release();
        }
    }

    private void rejectTooLong(ByteBuf in) throws TooLongFrameException {
        if (in.readableBytes() < Frames.LENGTH_FIELD_BYTES) {
            return;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > maxFrameBytes) {
            broken = true;
            in.skipBytes(in.readableBytes());
            throw new TooLongFrameException(
                    "frame of " + length + " bytes exceeds the maximum of " + maxFrameBytes + " bytes");
        }
    }

    private T parse(ByteBuf frame) throws CorruptedFrameException {
        int length = frame.readableBytes();
        try {
            // A single NIO view avoids copying the frame; ByteStrings in the result are still copied
            // (aliasing is off), so releasing the frame afterwards is safe.
            if (frame.nioBufferCount() == 1) {
                return parser.parseFrom(frame.nioBuffer());
            }
            try (ByteBufInputStream stream = new ByteBufInputStream(frame)) {
                return parser.parseFrom(stream);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptedFrameException(
                    "frame of " + length + " bytes is not a valid message: " + e.getMessage(), e);
        } catch (IOException e) {
            // ByteBufInputStream reads memory only; kept as a corrupted frame rather than lost.
            throw new CorruptedFrameException("cannot read frame of " + length + " bytes", e);
        }
    }
}
