package io.lb4j.testkit.upstream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/** Writes back what it reads; see {@link EchoUpstream}. */
final class EchoServer extends LoopbackServer implements EchoUpstream {

  private static final int PENDING_LIMIT = 32 * 1024;

  private final AtomicLong echoed = new AtomicLong();

  EchoServer() {
    super("echo");
  }

  EchoServer(java.net.InetAddress address, int port) {
    super("echo", address, port);
  }

  @Override
  public long bytesEchoed() {
    return echoed.get();
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    return new Echo(channel);
  }

  private final class Echo extends Connection {

    // Read into, written from: its fill level is the back-pressure limit.
    private final ByteBuffer pending = ByteBuffer.allocate(PENDING_LIMIT);
    private boolean inputEnded;

    Echo(SocketChannel channel) {
      super(channel);
    }

    @Override
    void onReadable() throws IOException {
      if (channel.read(pending) < 0) {
        inputEnded = true;
      }
      flush();
    }

    @Override
    void onWritable() throws IOException {
      flush();
    }

    private void flush() throws IOException {
      pending.flip();
      int written = channel.write(pending);
      pending.compact();
      echoed.addAndGet(written);
      boolean unsent = pending.position() > 0;
      if (inputEnded && !unsent) {
        // The client's half-close is mirrored only after everything it sent went back.
        channel.shutdownOutput();
        close();
        return;
      }
      int ops = 0;
      if (!inputEnded && pending.hasRemaining()) {
        ops |= SelectionKey.OP_READ;
      }
      if (unsent) {
        ops |= SelectionKey.OP_WRITE;
      }
      interest(ops);
    }
  }
}
