package io.lb4j.testkit.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Host;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

class FailingUpstreamsTest {

  @Test
  void resetAfterGivesTheClientAResetOnceNBytesArrived() throws Exception {
    try (TestUpstream upstream = Upstreams.resetAfter(1000);
        Socket socket = Clients.connect(upstream)) {
      socket.getOutputStream().write(new byte[1000]);

      assertThatThrownBy(() -> socket.getInputStream().read())
          .isInstanceOf(SocketException.class)
          .hasMessageContaining("reset");
      await().until(() -> upstream.openConnections() == 0);
    }
  }

  @Test
  void resetAfterZeroResetsOnAccept() throws Exception {
    try (TestUpstream upstream = Upstreams.resetAfter(0)) {
      // The reset may beat the end of the client's connect call, or reach its first read.
      Throwable failure = catchThrowable(() -> {
        try (Socket socket = Clients.connect(upstream)) {
          socket.getInputStream().read();
        }
      });

      assertThat(failure).isInstanceOf(SocketException.class).hasMessageContaining("reset");
    }
  }

  @Test
  void unresponsiveTimesOutAConnectWithAShortTimeout() throws Exception {
    try (TestUpstream upstream = Upstreams.unresponsive(); Socket socket = new Socket()) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", upstream.port());

      assertThatThrownBy(() -> socket.connect(address, 200))
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(upstream.acceptedConnections()).isZero();
    }
  }

  @Test
  void unresponsiveStillTimesOutAfterRestart() throws Exception {
    try (TestUpstream upstream = Upstreams.unresponsive()) {
      upstream.stop();
      upstream.restart();

      try (Socket socket = new Socket()) {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", upstream.port());
        assertThatThrownBy(() -> socket.connect(address, 200))
            .isInstanceOf(SocketTimeoutException.class);
      }
    }
  }

  @Test
  void refusingHostRefusesConnects() throws Exception {
    Host host = Upstreams.refusing();

    try (Socket socket = new Socket()) {
      assertThatThrownBy(() -> socket.connect(host.toSocketAddress(), 5000))
          .isInstanceOf(ConnectException.class);
    }
    assertThat(host.name()).isEqualTo("127.0.0.1");
  }

  @Test
  void refusingGivesADifferentHostEachTime() {
    assertThat(Upstreams.refusing()).isNotEqualTo(Upstreams.refusing());
  }

  @Test
  void blackHoleAcceptsButNeverAnswers() throws Exception {
    try (TestUpstream upstream = Upstreams.blackHole();
        Socket socket = Clients.connect(upstream)) {
      socket.getOutputStream().write(new byte[100]);
      await().until(() -> upstream.acceptedConnections() == 1);
      socket.setSoTimeout(200);

      assertThatThrownBy(() -> socket.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(upstream.openConnections()).isEqualTo(1);
    }
  }
}
