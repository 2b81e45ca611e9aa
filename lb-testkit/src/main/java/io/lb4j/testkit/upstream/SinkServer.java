package io.lb4j.testkit.upstream;

import io.lb4j.testkit.data.TestData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Reads and discards, checksumming per connection; see {@link SinkUpstream}. */
final class SinkServer extends LoopbackServer implements SinkUpstream {

  private final AtomicLong received = new AtomicLong();
  // Only the tallies are kept, not the connections, so closed sockets can be collected.
  private final List<Tally> tallies = new ArrayList<>(); // guarded by itself

  SinkServer() {
    super("sink");
  }

  @Override
  public long bytesReceived() {
    return received.get();
  }

  @Override
  public List<Received> connections() {
    synchronized (tallies) {
      List<Received> snapshot = new ArrayList<>(tallies.size());
      for (Tally tally : tallies) {
        snapshot.add(tally.current);
      }
      return List.copyOf(snapshot);
    }
  }

  @Override
  Connection newConnection(SocketChannel channel, ByteBuffer scratch) {
    Tally tally = new Tally();
    synchronized (tallies) {
      tallies.add(tally);
    }
    return new Sink(channel, scratch, tally);
  }

  private final class Sink extends Connection {

    private final ByteBuffer scratch;
    private final TestData.Checksum checksum = TestData.checksum();
    private final Tally tally;

    Sink(SocketChannel channel, ByteBuffer scratch, Tally tally) {
      super(channel);
      this.scratch = scratch;
      this.tally = tally;
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
      tally.current = new Received(checksum.length(), checksum.value());
    }
  }

  /** What one connection delivered, replaced whole after each read so it is always consistent. */
  private static final class Tally {
    volatile Received current = new Received(0, TestData.checksum().value());
  }
}
