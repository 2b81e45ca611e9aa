package io.lb4j.testkit.upstream;

import io.lb4j.testkit.data.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Reads and discards, checksumming per connection; see {@link SinkUpstream}. */
final class SinkServer extends LoopbackServer implements SinkUpstream {

  private final AtomicLong received = new AtomicLong();
  private final List<Sink> sinks = new ArrayList<>(); // guarded by itself

  SinkServer() {
    super("sink");
  }

  @Override
  public long bytesReceived() {
    return received.get();
  }

  @Override
  public List<Received> connections() {
    synchronized (sinks) {
      List<Received> snapshot = new ArrayList<>(sinks.size());
      for (Sink sink : sinks) {
        snapshot.add(sink.tally);
      }
      return List.copyOf(snapshot);
    }
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    Sink sink = new Sink(channel, scratch);
    synchronized (sinks) {
      sinks.add(sink);
    }
    return sink;
  }

  private final class Sink extends Connection {

    private final ByteBuffer scratch;
    private final TestData.Checksum checksum = TestData.checksum();
    // Replaced whole after each read so a reader never pairs one read's length with another's sum.
    volatile Received tally = new Received(0, checksum.value());

    Sink(SocketChannel channel, ByteBuffer scratch) {
      super(channel);
      this.scratch = scratch;
    }

    @Override
    void onOpen() {
      interest(SelectionKey.OP_READ);
    }

    @Override
    void onReadable() throws IOException {
      scratch.clear();
      int n = channel.read(scratch);
      if (n < 0) {
        close();
        return;
      }
      scratch.flip();
      checksum.update(scratch);
      received.addAndGet(n);
      tally = new Received(checksum.length(), checksum.value());
    }
  }
}
