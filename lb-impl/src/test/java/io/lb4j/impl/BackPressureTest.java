package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.ConnectionEvent;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A host that stops reading makes lb4j stop reading its client: the client's writes block, and
 * what lb4j took from the client stays within the kernel's buffers towards the host plus Netty's
 * write-buffer high water mark, however much the client wants to send.
 */
@ExtendWith(NettyLeakDetector.class)
@Timeout(180)
class BackPressureTest {

  private static final long MIB = 1024 * 1024;
  /** Netty's high water mark (64 KiB) and one read loop's worth (16 reads of up to 64 KiB), rounded up. */
  private static final long NETTY_SLACK = 2 * MIB;

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();
  private final ExecutorService writer = Executors.newSingleThreadExecutor();

  @AfterEach
  void stopWriter() {
    writer.shutdownNow();
  }

  /** The most a socket buffer may grow to in a direction: {@code tcp_wmem}'s or {@code tcp_rmem}'s maximum. */
  private static long maxSocketBuffer(String sysctl) throws IOException {
    Path file = Path.of("/proc/sys/net/ipv4", sysctl);
    if (!Files.isReadable(file)) {
      return 64 * MIB; // not Linux: a bound no common system's defaults exceed
    }
    // /proc reports a size of 0, so read to the end of the stream rather than by size.
    try (InputStream in = Files.newInputStream(file)) {
      String[] minDefaultMax = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim()
          .split("\\s+");
      return Long.parseLong(minDefaultMax[minDefaultMax.length - 1]);
    }
  }

  @Test
  void clientOfAHostThatStopsReadingIsHeldBackAtABoundedNumberOfBytes() throws Exception {
    TestUpstream hung = closer.track(Upstreams.blackHole());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("hung", hung).build(), events));
    // Between lb4j and the host: lb4j's send buffer and the host's receive buffer. Whatever lb4j
    // read beyond those is in its own memory.
    long bound = maxSocketBuffer("tcp_wmem") + maxSocketBuffer("tcp_rmem") + NETTY_SLACK;
    long wanted = Math.max(256 * MIB, 8 * bound);

    Socket client = closer.track(Clients.connect(lb.boundAddress("hung")));
    AtomicLong written = new AtomicLong();
    CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
      byte[] chunk = new byte[64 * 1024];
      try {
        OutputStream out = client.getOutputStream();
        while (written.get() < wanted) {
          out.write(chunk);
          written.addAndGet(chunk.length);
        }
      } catch (IOException closedByTheTest) {
        // The test resets the connection once the writes have stopped.
      }
    }, writer);

    // The writes stop where the buffers are full: no progress over several polls in a row.
    AtomicLong lastSeen = new AtomicLong(-1);
    AtomicLong stillPolls = new AtomicLong();
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250)).until(() -> {
      long now = written.get();
      stillPolls.set(now == lastSeen.getAndSet(now) ? stillPolls.get() + 1 : 0);
      return stillPolls.get() >= 4 || writing.isDone();
    });
    assertThat(writing).as("the client's writes block; %s bytes were written", written.get())
        .isNotDone();

    client.setSoLinger(true, 0);
    client.close(); // a reset: lb4j sees it although it no longer reads the client
    await().until(() -> events.closed.size() == 1);
    ConnectionEvent event = events.closed.peek();
    assertThat(event.bytesFromClient())
        .as("bytes lb4j read from a client whose host stopped reading (%s written)", written.get())
        .isPositive()
        .isLessThanOrEqualTo(bound);
  }
}
