package io.dtm.protocol;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.EncoderException;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes protobuf messages as frames: a 4-byte big-endian length, then the message bytes.
 *
 * <p>The frames written between two flushes go into one outbound buffer, and each flush passes
 * that buffer on as a single write. Under load a connection carries dozens of small messages
 * (PREPAREs, votes, acknowledgements of 50 to 150 bytes) per flush; one buffer for all of them
 * saves an allocation, a trip down the pipeline and an outbound-buffer entry per message, and
 * hands the kernel one contiguous block. Placed next to the pipeline's head, after any handler
 * that holds flushes back (such as a {@code FlushConsolidationHandler}), it sees only the flushes
 * that reach the socket.
 *
 * <p>Each write's promise completes when the buffer holding its frame has been written, or fails
 * with it. A message larger than the maximum frame size is refused with an
 * {@link EncoderException} (its promise fails, the frames around it are unaffected) rather than
 * sent to a peer that would drop the connection for it. Frames not yet flushed when the channel
 * closes are discarded and their promises fail, as Netty does with unflushed writes.
 *
 * <p>Holds the frames of one connection, so an instance belongs to one pipeline. Every method
 * runs on the channel's event loop.
 */
public final class FrameEncoder extends ChannelOutboundHandlerAdapter {

    /** The first buffer of a flush: room for a few dozen typical messages. */
    static final int INITIAL_BUFFER_BYTES = 4096;

    /**
     * Above this many bytes a buffer is passed on without waiting for the flush, so one flush's
     * worth of frames is written in several buffers of bounded size rather than one that keeps
     * doubling (and copying).
     */
    static final int MAX_BUFFER_BYTES = 64 * 1024;

    private final int maxFrameBytes;
    private ByteBuf pending;
    private final List<ChannelPromise> pendingPromises = new ArrayList<>();

    /** @param maxFrameBytes the largest message sent, not counting the 4-byte length field */
    public FrameEncoder(int maxFrameBytes) {
        this.maxFrameBytes = Frames.checkMaxFrameBytes(maxFrameBytes);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof MessageLite message)) {
            // Already bytes (or something a handler nearer the head understands): keep the order.
            passPending(ctx);
            ctx.write(msg, promise);
            return;
        }
        int size = message.getSerializedSize();
        if (size > maxFrameBytes) {
            // Checked before anything is buffered, so an oversize message costs no memory.
            promise.setFailure(new EncoderException("message of " + size
                    + " bytes exceeds the maximum frame size of " + maxFrameBytes + " bytes"));
            return;
        }
        int frameBytes = Frames.LENGTH_FIELD_BYTES + size;
        if (pending != null && pending.writerIndex() + frameBytes > MAX_BUFFER_BYTES) {
            passPending(ctx);
        }
        if (pending == null) {
            pending = ctx.alloc().ioBuffer(Math.max(INITIAL_BUFFER_BYTES, frameBytes));
        }
        try {
            append(pending, message, size);
        } catch (IOException | RuntimeException e) {
            promise.setFailure(new EncoderException("cannot encode " + message.getClass().getSimpleName(), e));
            return;
        }
        if (!promise.isVoid()) {
            pendingPromises.add(promise);
        }
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        passPending(ctx);
        ctx.flush();
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        discardPending(new ClosedChannelException());
        ctx.close(promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        discardPending(new ClosedChannelException());
    }

    /** Appends one frame; on failure the buffer is left as it was. */
    private static void append(ByteBuf out, MessageLite message, int size) throws IOException {
        int frameStart = out.writerIndex();
        out.ensureWritable(Frames.LENGTH_FIELD_BYTES + size);
        out.writeInt(size);
        int start = out.writerIndex();
        try {
            ByteBuffer target = out.nioBuffer(start, size);
            CodedOutputStream stream = CodedOutputStream.newInstance(target);
            message.writeTo(stream);
            stream.flush();
            // A size mismatch means the message changed while being written: never send a torn frame.
            stream.checkNoSpaceLeft();
        } catch (IOException | RuntimeException e) {
            out.writerIndex(frameStart);
            throw e;
        }
        out.writerIndex(start + size);
    }

    /** Passes the buffered frames on as one write, completing their promises with it. */
    private void passPending(ChannelHandlerContext ctx) {
        if (pending == null) {
            return;
        }
        ByteBuf frames = pending;
        pending = null;
        if (pendingPromises.isEmpty()) {
            ctx.write(frames);
            return;
        }
        ChannelPromise[] promises = pendingPromises.toArray(new ChannelPromise[0]);
        pendingPromises.clear();
        ctx.write(frames).addListener((Future<? super Void> written) -> {
            Throwable cause = written.cause();
            for (ChannelPromise promise : promises) {
                if (cause == null) {
                    promise.trySuccess();
                } else {
                    promise.tryFailure(cause);
                }
            }
        });
    }

    private void discardPending(Throwable cause) {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        if (!pendingPromises.isEmpty()) {
            ChannelPromise[] promises = pendingPromises.toArray(new ChannelPromise[0]);
            pendingPromises.clear();
            for (ChannelPromise promise : promises) {
                promise.tryFailure(cause);
            }
        }
    }
}
