package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.ratelimit.ClientLimit;
import io.lb4j.ratelimit.LocalRateLimiter;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.tls.PemTlsContextFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A per-identity bandwidth limit through a real load balancer with one event loop: alice is held to
 * 1 MB/s by back-pressure while mallory, on the same loop, streams at full speed, and nothing piles
 * up in between.
 */
@Timeout(90)
class BandwidthLimitTest {

  private static final long LIMIT = 1_000_000;
  private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

  @TempDir Path dir;
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  /** A host that writes to each connection as fast as the connection takes it, counting. */
  private static final class Firehose implements AutoCloseable {
    final ServerSocket server;
    final List<AtomicLong> written = new CopyOnWriteArrayList<>();
    final List<Socket> sockets = new CopyOnWriteArrayList<>();

    Firehose() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor = new Thread(this::accept, "firehose-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket s = server.accept();
          sockets.add(s);
          AtomicLong count = new AtomicLong();
          written.add(count);
          Thread writer = new Thread(() -> pour(s, count), "firehose-write");
          writer.setDaemon(true);
          writer.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private static void pour(Socket s, AtomicLong count) {
      byte[] chunk = new byte[64 * 1024];
      try (OutputStream out = s.getOutputStream()) {
        while (true) {
          out.write(chunk);
          count.addAndGet(chunk.length);
        }
      } catch (IOException closed) {
        // the test is over
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }

  /** Reads a socket to its end on its own thread, counting the bytes. */
  private AtomicLong drain(SSLSocket socket) {
    AtomicLong received = new AtomicLong();
    Thread reader = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = socket.getInputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          received.addAndGet(n);
        }
      } catch (IOException closed) {
        // the test is over
      }
    }, "reader");
    reader.setDaemon(true);
    reader.start();
    return received;
  }

  @Test
  void limitedIdentityMovesItsRateWhileAnotherOnTheSameLoopIsNotSlowed() throws Exception {
    TestPki pki = TestPki.create();
    IssuedCertificate alice = pki.client("alice");
    IssuedCertificate mallory = pki.client("mallory");
    pki.writeCaPem(dir.resolve("ca.pem"));
    PemFiles server = pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    Firehose host = new Firehose();
    closeables.add(host);
    LocalRateLimiter limiter = LocalRateLimiter.builder()
        .client("alice", ClientLimit.unlimited().withBandwidth(LIMIT, 0))
        .build();
    LoadBalancer lb = LoadBalancer.builder()
        .upstream(Upstream.builder("fire")
                .hosts(List.of(io.lb4j.api.Host.of("127.0.0.1", host.server.getLocalPort())))
                .build(),
            new InetSocketAddress("127.0.0.1", 0))
        .tls(PemTlsContextFactory.builder()
            .certificateChain(server.certificate())
            .privateKey(server.privateKey())
            .clientCa(dir.resolve("ca.pem"))
            .build())
        .authorizer(AllowList.builder().allow("fire", "alice", "mallory").build())
        .rateLimiter(limiter)
        .ioThreads(1)
        .build()
        .start();
    closeables.add(lb);
    InetSocketAddress address = lb.boundAddress("fire");

    SSLSocket aliceSocket = TlsClient.connect(address, pki.clientContext(alice), null);
    closeables.add(aliceSocket);
    AtomicLong aliceBytes = drain(aliceSocket);
    SSLSocket mallorySocket = TlsClient.connect(address, pki.clientContext(mallory), null);
    closeables.add(mallorySocket);
    AtomicLong malloryBytes = drain(mallorySocket);

    // The window starts once alice has spent her full bucket (LIMIT bytes at once) and been held
    // to her rate for a while since, so that what it measures is the rate alone.
    await().atMost(Duration.ofSeconds(30)).until(() -> aliceBytes.get() > 3 * LIMIT);
    long aliceStart = aliceBytes.get();
    long malloryStart = malloryBytes.get();
    long start = System.nanoTime();
    Thread.sleep(TimeUnit.NANOSECONDS.toMillis(WINDOW_NANOS));
    long aliceMoved = aliceBytes.get() - aliceStart;
    long malloryMoved = malloryBytes.get() - malloryStart;
    double seconds = (System.nanoTime() - start) / 1e9;
    // What the host wrote into alice's connection and she has not received: kernel buffers, one
    // read and the relay's bounded outbound buffer, never the backlog of a 10 s stream.
    long aliceWritten = host.written.get(0).get();
    long inFlight = aliceWritten - aliceBytes.get();

    assertThat((double) aliceMoved).as("alice's bytes over %.2f s", seconds)
        .isBetween(0.9 * LIMIT * seconds, 1.1 * LIMIT * seconds);
    // Mallory's pace is her own reader's (a JDK TLS client on a shared machine): at least several
    // times alice's shows that no pause of alice's holds her.
    assertThat(malloryMoved).as("mallory's bytes over %.2f s, unlimited", seconds)
        .isGreaterThan(3 * aliceMoved);
    assertThat(inFlight).as("bytes between the host and alice").isLessThan(32L << 20);
  }
}
