package io.dtm.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtm.protocol.rpc.Request;
import io.dtm.protocol.rpc.Response;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A peer sending a bad frame loses its own connection and nobody else's. */
class BadFrameTest extends RpcTestSupport {

    @Test
    void garbageClosesThatConnectionAndTheServerKeepsServingOthers() throws Exception {
        RpcServer<Request, Response> server = startServer(RpcTestSupport::echo);
        RpcClient<Request, Response> healthyBefore = connect(server);

        ByteBuf garbage = FrameCodecTest.garbageFrame();
        byte[] bytes = new byte[garbage.readableBytes()];
        garbage.readBytes(bytes);
        assertThat(sendAndAwaitClose(server, bytes)).isTrue();

        assertThat(tidOf(callTxnStatus(healthyBefore, "t1").get(WAIT.toMillis(), TimeUnit.MILLISECONDS)))
                .isEqualTo("t1");
        RpcClient<Request, Response> healthyAfter = connect(server);
        assertThat(tidOf(callTxnStatus(healthyAfter, "t2").get(WAIT.toMillis(), TimeUnit.MILLISECONDS)))
                .isEqualTo("t2");
    }

    @Test
    void lengthOverTheMaximumClosesThatConnectionAndTheServerKeepsServingOthers() throws Exception {
        RpcServer<Request, Response> server = startServer(RpcTestSupport::echo);
        RpcClient<Request, Response> healthy = connect(server);

        byte[] header = ByteBuffer.allocate(4).putInt(MAX_FRAME_BYTES + 1).array();
        assertThat(sendAndAwaitClose(server, header)).isTrue();

        assertThat(tidOf(callTxnStatus(healthy, "t1").get(WAIT.toMillis(), TimeUnit.MILLISECONDS)))
                .isEqualTo("t1");
    }

    /** Sends raw bytes on a fresh connection and reports whether the server then closed it. */
    private static boolean sendAndAwaitClose(RpcServer<?, ?> server, byte[] bytes) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            OutputStream out = socket.getOutputStream();
            out.write(bytes);
            out.flush();
            InputStream in = socket.getInputStream();
            try {
                // The server sends nothing back: the first read sees the close.
                return in.read() == -1;
            } catch (SocketException e) {
                // A reset is a close too (the server may close with our bytes unread).
                return true;
            }
        }
    }
}
