package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.data.TestData;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SourceUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Bytes arrive intact, in order, both ways, with half-close and back-pressure. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class ForwardingIntegrityTest {

  private static final long GIB = 1L << 30;

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  private InetSocketAddress echoBalancer() {
    EchoUpstream echo = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", echo).build(), events));
    return lb.boundAddress("echo");
  }

  @Test
  void gibibyteEachWayArrivesIntactOverOneConnection() throws Exception {
    InetSocketAddress address = echoBalancer();
    try (Socket socket = Clients.connect(address)) {
      assertThat(Clients.echoRoundTrip(socket, GIB)).isEqualTo(TestData.checksumOf(GIB));
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.closed.peek().bytesFromClient()).isEqualTo(GIB);
    assertThat(events.closed.peek().bytesToClient()).isEqualTo(GIB);
  }

  @Test
  void gibibyteEachWayArrivesIntactOverSixteenConnectionsAtOnce() throws Exception {
    InetSocketAddress address = echoBalancer();
    int connections = 16;
    long each = GIB / connections;
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    try {
      List<CompletableFuture<Long>> checksums = new ArrayList<>();
      for (int i = 0; i < connections; i++) {
        checksums.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try (Socket socket = Clients.connect(address)) {
                    return Clients.echoRoundTrip(socket, each);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                },
                pool));
      }
      long expected = TestData.checksumOf(each);
      for (CompletableFuture<Long> c : checksums) {
        assertThat(c.get()).isEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void halfCloseCarriesUpstreamReplyToClient() throws Exception {
    InetSocketAddress address = echoBalancer();
    long length = 4L << 20;
    try (Socket socket = Clients.connect(address)) {
      Clients.send(socket.getOutputStream(), length);
      socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      assertThat(Clients.receive(in, length)).isEqualTo(TestData.checksumOf(length));
      assertThat(in.read()).as("end of stream after the echo").isEqualTo(-1);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.closed.peek().reason()).isEqualTo(io.lb4j.api.CloseReason.CLIENT_CLOSED);
  }

  @Test
  void upstreamHalfCloseStillCarriesClientBytes() throws Exception {
    long fromUpstream = 1L << 20;
    SourceUpstream source =
        closer.track(Upstreams.source(fromUpstream, SourceUpstream.Ending.SHUTDOWN_OUTPUT));
    LoadBalancer lb =
        closer.track(Fixtures.start(Fixtures.upstream("source", source).build(), events));
    long fromClient = 3L << 20;
    try (Socket socket = Clients.connect(lb.boundAddress("source"))) {
      InputStream in = socket.getInputStream();
      assertThat(Clients.receive(in, fromUpstream)).isEqualTo(TestData.checksumOf(fromUpstream));
      assertThat(in.read()).as("upstream's end of stream reaches the client").isEqualTo(-1);
      Clients.send(socket.getOutputStream(), fromClient);
      socket.shutdownOutput();
      await().until(() -> source.bytesReceived() == fromClient);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.closed.peek().reason()).isEqualTo(io.lb4j.api.CloseReason.UPSTREAM_CLOSED);
  }

  @Test
  void clientThatNeverReadsKeepsBufferedBytesBounded() throws Exception {
    AtomicLong sent = new AtomicLong();
    try (ServerSocket firehose = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      Thread writer =
          new Thread(
              () -> {
                try (Socket s = firehose.accept(); OutputStream out = s.getOutputStream()) {
                  byte[] chunk = new byte[64 * 1024];
                  while (sent.get() < GIB) {
                    out.write(chunk);
                    sent.addAndGet(chunk.length);
                  }
                } catch (Exception ignored) {
                  // the test closes everything at the end; the writer then stops
                }
              },
              "firehose");
      writer.setDaemon(true);
      writer.start();
      LoadBalancer lb =
          closer.track(
              Fixtures.start(
                  Fixtures.upstream("firehose", List.of(io.lb4j.api.Host.of("127.0.0.1", firehose.getLocalPort())))
                      .build(),
                  events));
      try (Socket idle = Clients.connect(lb.boundAddress("firehose"))) {
        idle.setReceiveBufferSize(64 * 1024);
        long[] last = {-1};
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(500))
            .until(
                () -> {
                  long now = sent.get();
                  boolean stalled = now == last[0] && now > 0;
                  last[0] = now;
                  return stalled;
                });
        // Kernel socket buffers on loopback hold a few MiB on each of the four sockets; anything
        // near the 1 GiB the upstream wants to send would mean lb4j buffers without bound.
        assertThat(sent.get()).isLessThan(48L << 20);
        assertThat(usedDirectMemory()).isLessThan(32L << 20);
      }
    }
  }

  private static long usedDirectMemory() {
    return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
  }
}
