package io.lb4j.testkit.upstream;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;

/** Reads a set number of bytes per connection, then resets it. */
final class ResetAfterServer extends LoopbackServer {

  private final long limit;

  ResetAfterServer(long limit) {
    super("reset-after-" + limit);
    this.limit = limit;
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    return new Resetting(channel, scratch);
  }

  private final class Resetting extends Connection {

    private final ByteBuffer scratch;
    private long remaining = limit;

    Resetting(SocketChannel channel, ByteBuffer scratch) {
      super(channel);
      this.scratch = scratch;
    }

    @Override
    void onOpen() {
      if (remaining == 0) {
        reset();
      } else {
        interest(SelectionKey.OP_READ);
      }
    }

    @Override
    void onReadable() throws IOException {
      scratch.clear();
      scratch.limit((int) Math.min(scratch.capacity(), remaining));
      int n = channel.read(scratch);
      if (n < 0) {
        close();
        return;
      }
      remaining -= n;
      if (remaining == 0) {
        reset();
      }
    }
  }
}
