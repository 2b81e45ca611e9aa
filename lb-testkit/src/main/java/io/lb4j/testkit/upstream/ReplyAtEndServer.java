package io.lb4j.testkit.upstream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/** Keeps what it reads and writes it all back after the client's end; see {@link Upstreams#replyAtEnd}. */
final class ReplyAtEndServer extends LoopbackServer {

  private final int limit;

  ReplyAtEndServer(int limit) {
    super("reply-at-end");
    this.limit = limit;
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    return new ReplyAtEnd(channel);
  }

  private final class ReplyAtEnd extends Connection {

    private ByteBuffer kept = ByteBuffer.allocate(64 * 1024);
    private boolean replying;

    ReplyAtEnd(SocketChannel channel) {
      super(channel);
    }

    @Override
    void onReadable() throws IOException {
      if (!kept.hasRemaining()) {
        if (kept.capacity() >= limit) {
          int n = channel.read(ByteBuffer.allocate(1));
          if (n > 0) {
            // A byte past the limit: more than this host keeps, so it fails as one out of memory.
            reset();
          } else if (n < 0) {
            reply();
          }
          return;
        }
        kept = ByteBuffer.wrap(Arrays.copyOf(kept.array(), Math.min(limit, kept.capacity() * 2)))
            .position(kept.position());
      }
      if (channel.read(kept) < 0) {
        reply();
      }
    }

    private void reply() throws IOException {
      kept.flip();
      replying = true;
      onWritable();
    }

    @Override
    void onWritable() throws IOException {
      channel.write(kept);
      if (kept.hasRemaining()) {
        interest(SelectionKey.OP_WRITE);
        return;
      }
      if (replying) {
        channel.shutdownOutput();
        close();
      }
    }
  }
}
