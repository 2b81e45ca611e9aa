package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.upstream.EchoUpstream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM to the packaged server: open connections drain, then it exits. */
@Timeout(120)
class ShutdownIT {

  @TempDir Path dir;
  private ServerFixture f;
  private EchoUpstream host;

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
    host = f.echo();
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  private record Running(JarProcess process, InetSocketAddress listener, InetSocketAddress admin) {}

  private Running serve(String drainTimeout) {
    int port = ServerFixture.freePort();
    int adminPort = ServerFixture.freePort();
    f.writeConfig(ServerFixture.echoWithAdmin(port, host, adminPort, drainTimeout));
    JarProcess p = f.track(JarProcess.start(dir, "--config", "lb.yaml"));
    p.awaitStdout("admin listener on", Duration.ofSeconds(60));
    return new Running(p, new InetSocketAddress("127.0.0.1", port),
        new InetSocketAddress("127.0.0.1", adminPort));
  }

  @Test
  void openConnectionKeepsWorkingDuringTheDrainAndTheServerExitsWhenItCloses() throws Exception {
    // An hour: if the server waited out the drain timeout instead, the test would time out.
    Running server = serve("1h");
    SSLSocket alice = f.connect(server.listener(), f.alice, null);
    assertThat(TlsClient.roundTrip(alice, "before\n")).isEqualTo("before\n");

    server.process().terminateAsync();
    server.process().awaitStdout("stopping: draining open connections", Duration.ofSeconds(30));

    assertThat(TlsClient.roundTrip(alice, "during the drain\n")).isEqualTo("during the drain\n");
    assertThat(ServerFixture.get(server.admin(), "/healthz")).isEqualTo("503 draining\n");
    assertThat(server.process().isAlive()).isTrue();
    alice.close();

    assertThat(server.process().waitFor(Duration.ofSeconds(60))).isEqualTo(143);
    assertThat(server.process().stdout())
        .contains("identity=alice upstream=echo host=" + host.host() + " from_client=24 to_client=24")
        .contains("lb4j stopped");
  }

  @Test
  void adminEndpointsAnswerWithinASecondAllThroughTheDrainUntilTheProcessExits() throws Exception {
    Running server = serve("1h");
    AdminProbe probe = new AdminProbe(server.admin(), Duration.ofSeconds(1));
    SSLSocket alice = f.connect(server.listener(), f.alice, null);
    assertThat(TlsClient.roundTrip(alice, "before\n")).isEqualTo("before\n");

    server.process().terminateAsync();
    server.process().awaitStdout("stopping: draining open connections", Duration.ofSeconds(30));

    // Paced like a scrape and a probe, for a while: the drain would hold them for the hour.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(200)).until(() -> {
          AdminProbe.Answers answers = probe.ask();
          assertThat(answers).as("the admin listener answers while connections drain").isNotNull();
          assertThat(answers.healthz()).isEqualTo("503 draining\n");
          assertThat(answers.metricsStatus()).isEqualTo(200);
          assertThat(answers.sample("lb4j_draining")).isEqualTo(1.0);
          assertThat(answers.sample("lb4j_connections_open")).isEqualTo(1.0);
          return true;
        });
    assertThat(server.process().isAlive()).isTrue();

    alice.close();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
      AdminProbe.Answers answers = probe.ask();
      if (answers == null) {
        return true;
      }
      assertThat(answers.healthz()).isEqualTo("503 draining\n");
      assertThat(answers.metricsStatus()).isEqualTo(200);
      assertThat(answers.sample("lb4j_draining")).isEqualTo(1.0);
      return false;
    });
    assertThat(server.process().waitFor(Duration.ofSeconds(60))).isEqualTo(143);
  }

  @Test
  void connectionStillOpenAtTheDrainTimeoutIsClosed() throws Exception {
    Running server = serve("1s");
    SSLSocket alice = f.connect(server.listener(), f.alice, null);
    assertThat(TlsClient.roundTrip(alice, "before\n")).isEqualTo("before\n");

    assertThat(server.process().terminate(Duration.ofSeconds(60))).isEqualTo(143);

    assertThat(alice.getInputStream().read()).isEqualTo(-1);
    await().until(() -> server.process().stdout().contains("close=shutdown"));
    assertThat(server.process().stdout()).contains("identity=alice");
  }
}
