package io.lb4j.testkit.upstream;

import io.lb4j.testkit.data.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;

/** Sends TestData and ends as told; see {@link SourceUpstream}. */
final class SourceServer extends LoopbackServer implements SourceUpstream {

  private static final int MAX_DRAIN_READS = 16;

  private final long bytes;
  private final Ending ending;
  private final AtomicLong received = new AtomicLong();

  SourceServer(long bytes, Ending ending) {
    super("source");
    this.bytes = bytes;
    this.ending = ending;
  }

  @Override
  public long bytesReceived() {
    return received.get();
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    return new Source(channel, scratch);
  }

  private final class Source extends Connection {

    private final ByteBuffer scratch;
    private long sent;
    private boolean sendingDone;
    private boolean inputEnded;

    Source(SocketChannel channel, ByteBuffer scratch) {
      super(channel);
      this.scratch = scratch;
    }

    @Override
    void onOpen() throws IOException {
      if (bytes == 0) {
        finishSending();
      } else {
        interest(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
      }
    }

    @Override
    void onWritable() throws IOException {
      // The scratch buffer is shared by the loop's connections, so the chunk is regenerated on
      // every attempt instead of kept; generating is far cheaper than the write.
      int n = (int) Math.min(scratch.capacity(), bytes - sent);
      scratch.clear();
      TestData.fill(scratch.array(), 0, n, sent);
      scratch.limit(n);
      sent += channel.write(scratch);
      if (sent == bytes) {
        finishSending();
      }
    }

    @Override
    void onReadable() throws IOException {
      if (readOnce() >= 0) {
        return;
      }
      inputEnded = true;
      if (sendingDone) {
        close();
      } else {
        interest(SelectionKey.OP_WRITE);
      }
    }

    private void finishSending() throws IOException {
      sendingDone = true;
      if (ending == Ending.CLOSE) {
        // Reading what already arrived keeps the close a FIN: a socket closed with unread data
        // sends a reset instead.
        for (int i = 0; i < MAX_DRAIN_READS && !inputEnded; i++) {
          int n = readOnce();
          if (n < 0) {
            inputEnded = true;
          } else if (n == 0) {
            break;
          }
        }
        close();
      } else {
        channel.shutdownOutput();
        if (inputEnded) {
          close();
        } else {
          interest(SelectionKey.OP_READ);
        }
      }
    }

    private int readOnce() throws IOException {
      scratch.clear();
      int n = channel.read(scratch);
      if (n > 0) {
        received.addAndGet(n);
      }
      return n;
    }
  }
}
