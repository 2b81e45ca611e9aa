package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Host;
import io.lb4j.impl.ConnectionLog;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Changes to the configuration and certificate files, applied while connections are open. */
@Timeout(60)
class ReloadTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture serverLog;
  private LogCapture access;

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
    serverLog = new LogCapture("lb4j.server");
    access = new LogCapture(ConnectionLog.LOGGER);
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    serverLog.close();
    access.close();
  }

  private static String config(List<EchoUpstream> hosts, String allow) {
    return ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: %s
        """.formatted(ServerFixture.hostList(hosts), allow);
  }

  private static Map<Host, HostStatus> status(LbServer server) {
    return server.loadBalancer().hostStatus("echo").stream()
        .collect(Collectors.toMap(HostStatus::host, s -> s));
  }

  private List<String> warnings() {
    return serverLog.events().stream()
        .filter(e -> e.getLevel().toString().equals("WARN"))
        .map(e -> e.getFormattedMessage())
        .toList();
  }

  @Test
  void addingAndRemovingHostsKeepsOpenConnectionsAndSendsNewOnesToTheNewHost() {
    List<EchoUpstream> hosts = f.echoes(3);
    EchoUpstream a = hosts.get(0);
    EchoUpstream b = hosts.get(1);
    EchoUpstream c = hosts.get(2);
    LbServer server = f.start(config(List.of(a, b), "[alice]"));
    SSLSocket first = f.connect(server, "echo", f.alice);
    SSLSocket second = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(first, "1");
    TlsClient.roundTrip(second, "2");
    assertThat(List.of(a.openConnections(), b.openConnections())).containsExactly(1, 1);

    f.writeConfig(config(List.of(b, c), "[alice]"));
    assertThat(server.reload()).isTrue();

    assertThat(TlsClient.roundTrip(first, "still here\n")).isEqualTo("still here\n");
    assertThat(TlsClient.roundTrip(second, "still here\n")).isEqualTo("still here\n");
    assertThat(status(server).get(a.host()).draining()).isTrue();
    SSLSocket third = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(third, "3");
    assertThat(c.openConnections()).isEqualTo(1);
    assertThat(a.acceptedConnections()).isEqualTo(1);
    assertThat(serverLog.messages())
        .contains("lb.yaml: reloaded: upstream echo +" + c.host() + " -" + a.host());

    // Whichever of the first two went to the removed host, closing both lets it go.
    closeQuietly(first);
    closeQuietly(second);
    await().until(() -> !status(server).containsKey(a.host()));
    assertThat(server.appliedHosts("echo")).containsExactly(b.host(), c.host());
  }

  @Test
  void allowListChangeAppliesToNewConnections() {
    EchoUpstream host = f.echo();
    LbServer server = f.start(config(List.of(host), "[alice]"));
    SSLSocket alice = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(alice, "a");
    assertThat(TlsClient.closedWithoutAnswer(f.connect(server, "echo", f.mallory))).isTrue();

    f.writeConfig(config(List.of(host), "[mallory]"));
    server.reload();

    SSLSocket mallory = f.connect(server, "echo", f.mallory);
    assertThat(TlsClient.roundTrip(mallory, "m\n")).isEqualTo("m\n");
    assertThat(TlsClient.roundTrip(alice, "still here\n"))
        .as("a connection past authorization is kept").isEqualTo("still here\n");
    assertThat(TlsClient.closedWithoutAnswer(f.connect(server, "echo", f.alice))).isTrue();
    assertThat(serverLog.messages()).contains("lb.yaml: reloaded: allow lists");
  }

  @Test
  void invalidFileKeepsTheRunningConfigurationAndSaysWhyInOneLine() {
    EchoUpstream host = f.echo();
    LbServer server = f.start(config(List.of(host), "[alice]"));

    f.writeConfig(config(List.of(host), "[alice]") + "    connectTimeout: 2x\n");
    server.reload();

    assertThat(warnings()).containsExactly(
        "lb.yaml: upstreams[0].connectTimeout: '2x' is not a duration (use 500ms, 2s, 1m, 1h);"
            + " the running configuration stays in use");
    SSLSocket alice = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(alice, "ok\n")).isEqualTo("ok\n");
    assertThat(server.reload()).as("the same bad contents are not reported again").isFalse();
    assertThat(warnings()).hasSize(1);
  }

  @Test
  void changesThatNeedARestartAreLoggedAndNotAppliedWhileTheRestIs() {
    List<EchoUpstream> hosts = f.echoes(2);
    LbServer server = f.start(config(List.of(hosts.get(0)), "[alice]"));
    var listener = server.loadBalancer().boundAddress("echo");

    f.writeConfig(config(List.of(hosts.get(1)), "[alice]") + """
          - name: api
            listen: 127.0.0.1:0
            hosts: []
        drainTimeout: 1s
        """);
    server.reload();

    assertThat(warnings()).containsExactly(
        "lb.yaml: not applied, these changes need a restart: upstream api added; drainTimeout changed");
    assertThat(server.appliedHosts("echo")).containsExactly(hosts.get(1).host());
    assertThat(server.loadBalancer().boundAddress("echo")).isEqualTo(listener);
    SSLSocket alice = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(alice, "x");
    assertThat(hosts.get(1).acceptedConnections()).isEqualTo(1);
  }

  @Test
  void rateLimitChangeAppliesWithoutDroppingConnections() {
    EchoUpstream host = f.echo();
    String base = config(List.of(host), "[alice]");
    LbServer server = f.start(base + """
        rateLimit:
          default: {maxConcurrent: 1}
        """);
    SSLSocket first = f.connect(server, "echo", f.alice);
    TlsClient.roundTrip(first, "1");
    assertThat(TlsClient.closedWithoutAnswer(f.connect(server, "echo", f.alice))).isTrue();
    await().until(() -> access.messages().stream().anyMatch(m -> m.contains("refusal=rate_limited")));

    f.writeConfig(base + """
        rateLimit:
          default: {maxConcurrent: 2}
        """);
    server.reload();

    SSLSocket second = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(second, "2\n")).isEqualTo("2\n");
    assertThat(TlsClient.roundTrip(first, "1\n")).isEqualTo("1\n");
  }

  @Test
  void pollerAppliesAChangedFileWithoutBeingAsked() {
    List<EchoUpstream> hosts = f.echoes(2);
    LbServer server = f.start(config(List.of(hosts.get(0)), "[alice]"), Duration.ofMillis(50));

    f.writeConfig(config(hosts, "[alice]"));

    await().until(() -> server.appliedHosts("echo").size() == 2);
    assertThat(status(server)).containsKey(hosts.get(1).host());
  }

  @Test
  void newServerCertificateIsPresentedToNewHandshakesAndOpenConnectionsStay() throws Exception {
    EchoUpstream host = f.echo();
    LbServer server = f.start(config(List.of(host), "[alice]"), Duration.ofMillis(50));
    SSLSocket before = f.connect(server, "echo", f.alice);
    X509Certificate old = (X509Certificate) before.getSession().getPeerCertificates()[0];

    IssuedCertificate renewed = f.pki.server("localhost", "127.0.0.1");
    renewed.writePem(dir, "server");

    await().until(() -> {
      SSLSocket probe = TlsClient.connect(server.loadBalancer().boundAddress("echo"),
          f.pki.clientContext(f.alice), null);
      try {
        return probe.getSession().getPeerCertificates()[0].equals(renewed.certificate());
      } finally {
        probe.close();
      }
    });
    assertThat(renewed.certificate()).isNotEqualTo(old);
    assertThat(TlsClient.roundTrip(before, "still here\n")).isEqualTo("still here\n");
  }

  private static void closeQuietly(SSLSocket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing is all that matters here
    }
  }
}
