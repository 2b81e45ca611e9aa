package io.lb4j.tls.docs;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/getting-started.md: its {@link Main} forwards alice, refuses mallory, and stops cleanly. */
class GettingStartedTest {

  @TempDir Path dir;

  @Test
  void guideMainForwardsAliceRefusesMalloryAndClosesWhenInterrupted() throws Exception {
    TestPki pki = TestPki.create();
    pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    pki.writeCaPem(dir.resolve("ca.pem"));
    IssuedCertificate alice = pki.client("alice");
    IssuedCertificate mallory = pki.client("mallory");
    int port = freePort();
    AtomicReference<Throwable> ended = new AtomicReference<>();

    try (EchoUpstream a = Upstreams.echo(); EchoUpstream b = Upstreams.echo()) {
      Thread main = new Thread(() -> {
        try {
          Main.main(new String[] {
              dir.toString(), "127.0.0.1:" + port, a.host().toString(), b.host().toString()});
        } catch (Throwable t) {
          ended.set(t);
        }
      }, "guide-main");
      main.start();

      await().ignoreExceptions().atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(echo(pki, alice, port)).isEqualTo("ping"));
      // Refused after the handshake: lb4j closes the connection (end of stream or reset, never the
      // client's read timeout, see echo) and nothing reaches a host. The guide's Main registers no
      // connection listener, so the refusal's event cannot be seen here;
      // GroupFromSubjectThroughBalancerTest checks the UNAUTHORIZED event of such a client.
      int acceptedBefore = a.acceptedConnections() + b.acceptedConnections();
      assertThat(echo(pki, mallory, port)).isEmpty();
      assertThat(a.acceptedConnections() + b.acceptedConnections())
          .as("connections that reached a host for mallory").isEqualTo(acceptedBefore);

      main.interrupt();
      main.join(Duration.ofSeconds(20).toMillis());
      assertThat(main.isAlive()).isFalse();
      assertThat(ended.get()).isInstanceOf(InterruptedException.class);
      assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
          .isInstanceOf(ConnectException.class);
    }
  }

  /**
   * Sends "ping" and returns what comes back before lb4j ends the connection: empty if lb4j closed
   * or reset it first.
   *
   * @throws AssertionError if the connection stayed open until the client's read timeout, which
   *     is not a refusal
   */
  private static String echo(TestPki pki, IssuedCertificate client, int port) throws IOException {
    try (SSLSocket socket = (SSLSocket) pki.clientContext(client).getSocketFactory()
        .createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("ping".getBytes(US_ASCII));
      try {
        return new String(socket.getInputStream().readNBytes(4), US_ASCII);
      } catch (SocketTimeoutException leftOpen) {
        throw new AssertionError("lb4j neither answered nor closed within the read timeout",
            leftOpen);
      } catch (IOException closedOnUs) {
        return "";
      }
    }
  }

  private static int freePort() throws IOException {
    // The guide's main takes a fixed address; a port that was free a moment ago stands in for it.
    try (ServerSocket probe = new ServerSocket(0)) {
      return probe.getLocalPort();
    }
  }
}
