package io.lb4j.testkit.upstream;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class LifecycleTest {

  @Test
  void stopRefusesNewConnectsAndResetsOpenOnes() throws Exception {
    try (EchoUpstream echo = Upstreams.echo(); Socket open = Clients.connect(echo)) {
      await().until(() -> echo.openConnections() == 1);

      echo.stop();

      assertThatThrownBy(() -> open.getInputStream().read())
          .isInstanceOf(SocketException.class)
          .hasMessageContaining("reset");
      assertThatThrownBy(() -> Clients.connect(echo)).isInstanceOf(ConnectException.class);
      assertThat(echo.openConnections()).isZero();
    }
  }

  @Test
  void restartListensAgainOnTheSamePort() throws Exception {
    try (EchoUpstream echo = Upstreams.echo()) {
      int port = echo.port();
      try (Socket before = Clients.connect(echo)) {
        await().until(() -> echo.openConnections() == 1);
        echo.stop();
      }

      echo.restart();

      assertThat(echo.port()).isEqualTo(port);
      try (Socket after = Clients.connect(echo)) {
        after.getOutputStream().write("back".getBytes(US_ASCII));
        assertThat(after.getInputStream().readNBytes(4)).isEqualTo("back".getBytes(US_ASCII));
      }
      assertThat(echo.acceptedConnections()).isEqualTo(2);
    }
  }

  @Test
  void restartOfARunningUpstreamChangesNothing() throws Exception {
    try (EchoUpstream echo = Upstreams.echo(); Socket open = Clients.connect(echo)) {
      await().until(() -> echo.openConnections() == 1);

      echo.restart();

      open.getOutputStream().write(1);
      assertThat(open.getInputStream().read()).isEqualTo(1);
    }
  }

  @Test
  void closedUpstreamCannotRestart() {
    EchoUpstream echo = Upstreams.echo();
    echo.close();
    echo.close();

    assertThatThrownBy(echo::restart)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void closeLeavesNoThreadAndNoListener() throws Exception {
    List<Supplier<TestUpstream>> kinds = List.of(
        Upstreams::echo, Upstreams::sink, Upstreams::blackHole, () -> Upstreams.resetAfter(10),
        () -> Upstreams.source(1 << 20, SourceUpstream.Ending.SHUTDOWN_OUTPUT),
        Upstreams::unresponsive);
    for (Supplier<TestUpstream> kind : kinds) {
      TestUpstream upstream = kind.get();
      String threadName = "-" + upstream.port();
      if (upstream.acceptedConnections() == 0 && !(upstream instanceof UnresponsivePort)) {
        Socket client = Clients.connect(upstream);
        await().until(() -> upstream.acceptedConnections() == 1);
        upstream.close();
        client.close();
      } else {
        upstream.close();
      }

      assertThat(liveTestkitThreads()).noneMatch(name -> name.endsWith(threadName));
      assertThatThrownBy(() -> Clients.connect(upstream))
          .as("%s after close", upstream)
          .isInstanceOf(ConnectException.class);
    }
  }

  @Test
  void closeReleasesEverySocket() throws Exception {
    assumeThat(new File("/proc/self/fd")).as("needs Linux's /proc to count sockets").isDirectory();
    long before = openSockets();
    List<TestUpstream> upstreams = new ArrayList<>();
    List<Socket> clients = new ArrayList<>();
    upstreams.add(Upstreams.echo());
    upstreams.add(Upstreams.sink());
    upstreams.add(Upstreams.blackHole());
    upstreams.add(Upstreams.unresponsive());
    for (TestUpstream upstream : upstreams.subList(0, 3)) {
      clients.add(Clients.connect(upstream));
      await().until(() -> upstream.openConnections() == 1);
    }
    upstreams.get(0).stop();
    upstreams.get(0).restart();

    for (TestUpstream upstream : upstreams) {
      upstream.close();
    }
    for (Socket client : clients) {
      client.close();
    }

    assertThat(openSockets()).isEqualTo(before);
  }

  private static List<String> liveTestkitThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith("lb4j-testkit-"))
        .toList();
  }

  private static long openSockets() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(fd -> {
        try {
          return Files.readSymbolicLink(fd).toString().startsWith("socket:");
        } catch (IOException vanished) {
          return false;
        }
      }).count();
    }
  }
}
