package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Upstreams that share a listener are told apart by SNI; upstreams on their own listeners by port. */
@Timeout(60)
class RoutingTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture access;
  private EchoUpstream red;
  private EchoUpstream blue;

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
    access = new LogCapture(ConnectionLog.LOGGER);
    red = f.echo();
    blue = f.echo();
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    access.close();
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Port 0 gives each upstream a listener of its own; sharing one needs a port named twice. */
  private LbServer sharedListener() {
    int port = freePort();
    return f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: red
            listen: 127.0.0.1:%d
            serverName: red.example
            hosts: [%s]
            allow: [alice]
          - name: blue
            listen: 127.0.0.1:%d
            serverName: blue.example
            hosts: [%s]
            allow: [alice]
        """.formatted(port, red.host(), port, blue.host()));
  }

  @Test
  void upstreamsOnOneListenerAreChosenByServerName() {
    LbServer server = sharedListener();
    InetSocketAddress listener = server.loadBalancer().boundAddress("red");
    assertThat(server.loadBalancer().boundAddress("blue")).isEqualTo(listener);

    SSLSocket toRed = f.connect(listener, f.alice, "red.example");
    SSLSocket toBlue = f.connect(listener, f.alice, "blue.example");

    assertThat(TlsClient.roundTrip(toRed, "red\n")).isEqualTo("red\n");
    assertThat(TlsClient.roundTrip(toBlue, "blue\n")).isEqualTo("blue\n");
    assertThat(red.acceptedConnections()).isEqualTo(1);
    assertThat(blue.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void serverNameIsMatchedWithoutRegardToCase() {
    LbServer server = sharedListener();

    SSLSocket s = f.connect(server.loadBalancer().boundAddress("red"), f.alice, "BLUE.example");

    assertThat(TlsClient.roundTrip(s, "x")).isEqualTo("x");
    assertThat(blue.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void clientAskingForAnUnknownServerNameIsRefusedWithNoRoute() {
    LbServer server = sharedListener();

    SSLSocket s = f.connect(server.loadBalancer().boundAddress("red"), f.alice, "green.example");

    assertThat(TlsClient.closedWithoutAnswer(s)).isTrue();
    await().until(() -> access.messages().size() == 1);
    assertThat(access.messages().get(0)).contains("refusal=no_route");
    assertThat(red.acceptedConnections() + blue.acceptedConnections()).isZero();
  }

  @Test
  void upstreamsOnTheirOwnListenersAreChosenByPort() {
    int redPort = freePort();
    int bluePort = freePort();
    LbServer server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: red
            listen: 127.0.0.1:%d
            hosts: [%s]
            allow: [alice]
          - name: blue
            listen: 127.0.0.1:%d
            hosts: [%s]
            allow: [alice]
        """.formatted(redPort, red.host(), bluePort, blue.host()));

    SSLSocket toRed = f.connect(server, "red", f.alice);
    SSLSocket toBlue = f.connect(server, "blue", f.alice);

    assertThat(server.loadBalancer().boundAddress("red").getPort()).isEqualTo(redPort);
    assertThat(server.loadBalancer().boundAddress("blue").getPort()).isEqualTo(bluePort);
    assertThat(TlsClient.roundTrip(toRed, "red\n")).isEqualTo("red\n");
    assertThat(TlsClient.roundTrip(toBlue, "blue\n")).isEqualTo("blue\n");
    assertThat(List.of(red.acceptedConnections(), blue.acceptedConnections())).containsExactly(1, 1);
  }

  @Test
  void allowListsAreKeptPerUpstream() {
    int port = freePort();
    LbServer server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: red
            listen: 127.0.0.1:%d
            serverName: red.example
            hosts: [%s]
            allow: [alice]
          - name: blue
            listen: 127.0.0.1:%d
            serverName: blue.example
            hosts: [%s]
            allow: [mallory]
        """.formatted(port, red.host(), port, blue.host()));
    InetSocketAddress listener = server.loadBalancer().boundAddress("red");

    SSLSocket malloryToRed = f.connect(listener, f.mallory, "red.example");
    SSLSocket malloryToBlue = f.connect(listener, f.mallory, "blue.example");

    assertThat(TlsClient.closedWithoutAnswer(malloryToRed)).isTrue();
    assertThat(TlsClient.roundTrip(malloryToBlue, "m\n")).isEqualTo("m\n");
    assertThat(red.acceptedConnections()).isZero();
  }
}
