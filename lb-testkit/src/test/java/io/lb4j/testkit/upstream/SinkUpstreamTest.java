package io.lb4j.testkit.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.data.TestData;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SinkUpstreamTest {

  @Test
  void checksumOfWhatArrivedEqualsTestDataChecksum() throws Exception {
    long length = 3L * 1024 * 1024 + 5;
    try (SinkUpstream sink = Upstreams.sink(); Socket socket = Clients.connect(sink)) {
      Clients.sendTestDataThenShutdown(socket, length).get(10, TimeUnit.SECONDS);

      await().until(() -> sink.openConnections() == 0);
      assertThat(sink.connections())
          .containsExactly(new SinkUpstream.Received(length, TestData.checksumOf(length)));
      assertThat(sink.bytesReceived()).isEqualTo(length);
    }
  }

  @Test
  void talliesEachConnectionSeparatelyInAcceptOrder() throws Exception {
    try (SinkUpstream sink = Upstreams.sink()) {
      try (Socket first = Clients.connect(sink)) {
        Clients.sendTestDataThenShutdown(first, 1000).get(10, TimeUnit.SECONDS);
        await().until(() -> sink.openConnections() == 0);
      }
      try (Socket second = Clients.connect(sink)) {
        Clients.sendTestDataThenShutdown(second, 70_000).get(10, TimeUnit.SECONDS);
        await().until(() -> sink.openConnections() == 0);
      }

      assertThat(sink.connections()).containsExactly(
          new SinkUpstream.Received(1000, TestData.checksumOf(1000)),
          new SinkUpstream.Received(70_000, TestData.checksumOf(70_000)));
      assertThat(sink.bytesReceived()).isEqualTo(71_000);
    }
  }

  @Test
  void reportsAConnectionThatIsStillOpen() throws Exception {
    try (SinkUpstream sink = Upstreams.sink(); Socket socket = Clients.connect(sink)) {
      byte[] data = new byte[100];
      TestData.fill(data, 0);
      socket.getOutputStream().write(data);

      await().until(() -> sink.bytesReceived() == 100);
      assertThat(sink.connections())
          .containsExactly(new SinkUpstream.Received(100, TestData.checksumOf(100)));
      assertThat(sink.openConnections()).isEqualTo(1);
    }
  }
}
