package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.TlsEngine;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that end their sending side (close_notify, then FIN) and then read the reply, many at
 * once, on both engines and both TLS versions, to echo hosts (reply overlapping the request) and to
 * hosts that answer only after the end of input. Every byte of every reply must arrive, in order
 * (SHA-256 of request and reply compared), and every connection must end as the client's close.
 */
class HalfCloseIT {

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final int MAX_REQUEST = 256 * 1024;

  @TempDir Path dir;
  @RegisterExtension final Closer closer = new Closer();

  private record Outcome(long sent, long received, boolean intact) {}

  @Test
  void halfClosingClientsReceiveEveryByteOfTheirReplies() throws Exception {
    MutualTls mtls = new MutualTls(dir);
    TestUpstream echo = closer.track(Upstreams.echo());
    TestUpstream atEnd = closer.track(Upstreams.replyAtEnd(MAX_REQUEST));
    ConcurrentLinkedQueue<ConnectionEvent> events = new ConcurrentLinkedQueue<>();
    int perCase = Scale.of(50);
    long connections = 0;
    long sent = 0;
    long received = 0;
    long lost = 0;
    long intact = 0;

    for (TlsEngine engine : new TlsEngine[] {TlsEngine.OPENSSL, TlsEngine.JDK}) {
      LoadBalancer lb =
          closer.track(
              LoadBalancer.builder()
                  .upstream(upstream("echo", echo), new InetSocketAddress("127.0.0.1", 0))
                  .upstream(upstream("at-end", atEnd), new InetSocketAddress("127.0.0.1", 0))
                  .tls(closer.track(mtls.factory(engine)))
                  .listener(
                      new ConnectionListener() {
                        @Override
                        public void onClosed(ConnectionEvent event) {
                          events.add(event);
                        }
                      })
                  .build()
                  .start());
      for (String protocol : new String[] {"TLSv1.3", "TLSv1.2"}) {
        for (String name : new String[] {"echo", "at-end"}) {
          InetSocketAddress address = lb.boundAddress(name);
          // SplittableRandom mixes its seed, so neighbouring seeds give unrelated sizes and bytes.
          long seed = (engine.ordinal() * 10L + protocol.length()) * 31 + name.length();
          List<Outcome> outcomes;
          try (Parallel clients = Parallel.threads(16, "half-close")) {
            List<Future<Outcome>> futures =
                clients.submitAll(
                    perCase,
                    i -> () -> halfClose(mtls, address, protocol, new SplittableRandom(seed * 1_000 + i)));
            outcomes = Parallel.results(futures, Duration.ofMinutes(2).multipliedBy(Scale.FACTOR));
          }
          for (Outcome o : outcomes) {
            connections++;
            sent += o.sent();
            received += o.received();
            lost += Math.max(0, o.sent() - o.received());
            intact += o.intact() ? 1 : 0;
          }
        }
      }
    }

    long total = connections;
    await().until(() -> events.size() == total);
    Figures.record(
        "half-closing clients",
        "%d connections (OpenSSL and JDK engines, TLS 1.3 and 1.2, echo and reply-at-end hosts),"
            + " %s sent, %s received, %d bytes lost, %d replies intact",
        connections, Figures.mib(sent), Figures.mib(received), lost, intact);
    assertThat(lost).as("bytes lost").isZero();
    assertThat(received).as("bytes received").isEqualTo(sent);
    assertThat(intact).as("replies intact (SHA-256)").isEqualTo(connections);
    assertThat(events).extracting(ConnectionEvent::reason).containsOnly(CloseReason.CLIENT_CLOSED);
    assertThat(events.stream().mapToLong(ConnectionEvent::bytesToClient).sum()).isEqualTo(sent);
  }

  private static Upstream upstream(String name, TestUpstream host) {
    return Upstream.builder(name).hosts(List.of(host.host())).build();
  }

  private static Outcome halfClose(
      MutualTls mtls, InetSocketAddress address, String protocol, SplittableRandom random) throws Exception {
    byte[] request = new byte[1 + random.nextInt(MAX_REQUEST)];
    random.nextBytes(request);
    MessageDigest replyDigest = MessageDigest.getInstance("SHA-256");
    long got = 0;
    try (SSLSocket socket = (SSLSocket) mtls.trusted().getSocketFactory().createSocket()) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.setTcpNoDelay(true);
      socket.connect(address, 10_000);
      socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
      socket.startHandshake();
      // The reply is read while the request is written, or an echo's reply would fill both ways.
      Thread writer =
          new Thread(
              () -> {
                try {
                  OutputStream out = socket.getOutputStream();
                  out.write(request);
                  out.flush();
                  socket.shutdownOutput();
                } catch (java.io.IOException e) {
                  // the reader sees the cut
                }
              },
              "half-close-writer");
      writer.start();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[16 * 1024];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          replyDigest.update(buffer, 0, n);
          got += n;
        }
      } catch (java.io.IOException cut) {
        // counted as lost below
      }
      writer.join(READ_TIMEOUT.toMillis());
    }
    boolean intact =
        got == request.length
            && MessageDigest.isEqual(
                replyDigest.digest(), MessageDigest.getInstance("SHA-256").digest(request));
    return new Outcome(request.length, got, intact);
  }
}
