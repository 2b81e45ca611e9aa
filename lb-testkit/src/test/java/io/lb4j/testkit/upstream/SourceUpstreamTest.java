package io.lb4j.testkit.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.data.TestData;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class SourceUpstreamTest {

  @Test
  void sendsTestDataThenCloses() throws Exception {
    long length = 2L * 1024 * 1024 + 3;
    try (SourceUpstream source = Upstreams.source(length, SourceUpstream.Ending.CLOSE);
        Socket socket = Clients.connect(source)) {

      TestData.Checksum received = Clients.readToEnd(socket);

      assertThat(received.length()).isEqualTo(length);
      assertThat(received.value()).isEqualTo(TestData.checksumOf(length));
      await().until(() -> source.openConnections() == 0);
    }
  }

  @Test
  void afterShuttingItsOutputKeepsReadingUntilTheClientEnds() throws Exception {
    try (SourceUpstream source = Upstreams.source(10_000, SourceUpstream.Ending.SHUTDOWN_OUTPUT);
        Socket socket = Clients.connect(source)) {
      TestData.Checksum received = Clients.readToEnd(socket);
      assertThat(received.value()).isEqualTo(TestData.checksumOf(10_000));

      socket.getOutputStream().write(new byte[1234]);
      await().until(() -> source.bytesReceived() == 1234);
      assertThat(source.openConnections()).isEqualTo(1);

      socket.shutdownOutput();
      await().until(() -> source.openConnections() == 0);
    }
  }

  @Test
  void sendsNothingWhenAskedForZeroBytes() throws Exception {
    try (SourceUpstream source = Upstreams.source(0, SourceUpstream.Ending.CLOSE);
        Socket socket = Clients.connect(source)) {

      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void rejectsNegativeLength() {
    assertThatThrownBy(() -> Upstreams.source(-1, SourceUpstream.Ending.CLOSE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bytes must not be negative but was -1");
  }
}
