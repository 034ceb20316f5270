package io.dtm.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.EncoderException;
import io.netty.handler.codec.MessageToByteEncoder;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Writes a protobuf message as one frame: a 4-byte big-endian length, then the message bytes,
 * serialised straight into a single outbound buffer.
 *
 * <p>A message larger than the maximum frame size is refused with an {@link EncoderException}
 * (the write's future fails) rather than sent to a peer that would drop the connection for it.
 * Stateless, hence sharable.
 */
@ChannelHandler.Sharable
public final class FrameEncoder extends MessageToByteEncoder<MessageLite> {

    private final int maxFrameBytes;

    /** @param maxFrameBytes the largest message sent, not counting the 4-byte length field */
    public FrameEncoder(int maxFrameBytes) {
        super(MessageLite.class);
        this.maxFrameBytes = Frames.checkMaxFrameBytes(maxFrameBytes);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, MessageLite msg, boolean preferDirect) {
        // Sized exactly, and checked before allocating so an oversize message costs no memory.
        int size = checkedSize(msg);
        int capacity = Frames.LENGTH_FIELD_BYTES + size;
        return preferDirect ? ctx.alloc().ioBuffer(capacity) : ctx.alloc().heapBuffer(capacity);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, MessageLite msg, ByteBuf out) throws IOException {
        int size = checkedSize(msg);
        out.writeInt(size);
        out.ensureWritable(size);
        int start = out.writerIndex();
        ByteBuffer target = out.nioBuffer(start, size);
        CodedOutputStream stream = CodedOutputStream.newInstance(target);
        msg.writeTo(stream);
        stream.flush();
        // A size mismatch means the message changed while being written: never send a torn frame.
        stream.checkNoSpaceLeft();
        out.writerIndex(start + size);
    }

    private int checkedSize(MessageLite msg) {
        int size = msg.getSerializedSize();
        if (size > maxFrameBytes) {
            throw new EncoderException("message of " + size + " bytes exceeds the maximum frame size of "
                    + maxFrameBytes + " bytes");
        }
        return size;
    }
}
