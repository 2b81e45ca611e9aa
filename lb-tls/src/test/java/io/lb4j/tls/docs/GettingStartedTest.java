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
      assertThat(echo(pki, mallory, port)).isEmpty();

      main.interrupt();
      main.join(Duration.ofSeconds(20).toMillis());
      assertThat(main.isAlive()).isFalse();
      assertThat(ended.get()).isInstanceOf(InterruptedException.class);
      assertThatThrownBy(() -> new Socket("127.0.0.1", port).close())
          .isInstanceOf(ConnectException.class);
    }
  }

  /** Sends "ping" and returns what comes back before the connection ends (empty if refused). */
  private static String echo(TestPki pki, IssuedCertificate client, int port) throws IOException {
    try (SSLSocket socket = (SSLSocket) pki.clientContext(client).getSocketFactory()
        .createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write("ping".getBytes(US_ASCII));
      try {
        return new String(socket.getInputStream().readNBytes(4), US_ASCII);
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
