package io.lb4j.testkit.upstream;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.data.TestData;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EchoUpstreamTest {

  @Test
  void echoesEveryByteInOrder() throws Exception {
    long length = 4L * 1024 * 1024 + 17;
    try (EchoUpstream echo = Upstreams.echo(); Socket socket = Clients.connect(echo)) {
      var sent = Clients.sendTestDataThenShutdown(socket, length);

      TestData.Checksum received = Clients.readToEnd(socket);

      sent.get(10, TimeUnit.SECONDS);
      assertThat(received.length()).isEqualTo(length);
      assertThat(received.value()).isEqualTo(TestData.checksumOf(length));
      assertThat(echo.bytesEchoed()).isEqualTo(length);
    }
  }

  @Test
  void mirrorsHalfCloseOnceEverythingIsEchoed() throws Exception {
    try (EchoUpstream echo = Upstreams.echo(); Socket socket = Clients.connect(echo)) {
      socket.getOutputStream().write("ping".getBytes(US_ASCII));
      socket.shutdownOutput();

      // readAllBytes returns only at the end of the stream: the echo shut its output.
      assertThat(new String(socket.getInputStream().readAllBytes(), US_ASCII)).isEqualTo("ping");
      await().until(() -> echo.openConnections() == 0);
    }
  }

  @Test
  void keepsAnsweringWhileTheClientKeepsItsOutputOpen() throws Exception {
    try (EchoUpstream echo = Upstreams.echo(); Socket socket = Clients.connect(echo)) {
      for (int round = 0; round < 3; round++) {
        byte[] message = ("round " + round).getBytes(US_ASCII);
        socket.getOutputStream().write(message);

        assertThat(socket.getInputStream().readNBytes(message.length)).isEqualTo(message);
      }
      assertThat(echo.openConnections()).isEqualTo(1);
    }
  }

  @Test
  void countsAcceptedAndOpenConnections() throws Exception {
    try (EchoUpstream echo = Upstreams.echo()) {
      Socket first = Clients.connect(echo);
      Socket second = Clients.connect(echo);
      await().until(() -> echo.openConnections() == 2);

      first.close();
      await().until(() -> echo.openConnections() == 1);
      second.close();
      await().until(() -> echo.openConnections() == 0);
      assertThat(echo.acceptedConnections()).isEqualTo(2);
    }
  }
}
