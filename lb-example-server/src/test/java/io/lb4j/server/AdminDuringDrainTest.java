package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin listener while the server drains: a readiness probe and a scrape answer at once,
 * however long the drain, until the listener stops at its end.
 */
@Timeout(120)
class AdminDuringDrainTest {

  /**
   * A probe's deadline: far below the drain below, which would last an hour if its client never
   * left, so a probe stuck behind the drain still fails; far above a loaded CI machine's pauses.
   */
  private static final Duration PROMPT = Duration.ofSeconds(15);

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

  @Test
  void healthzAndMetricsAnswerAtOnceAllThroughTheDrainUntilTheServerHasClosed() throws Exception {
    LbServer server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        admin:
          listen: 127.0.0.1:0
        drainTimeout: 1h
        """.formatted(ServerFixture.hostList(List.of(host))));
    AdminProbe probe = new AdminProbe(server.adminAddress(), PROMPT);
    SSLSocket alice = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(alice, "before\n")).isEqualTo("before\n");
    assertThat(probe.ask().sample("lb4j_draining")).isEqualTo(0.0);

    CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
    await().until(() -> probe.ask().healthz().startsWith("503 "));

    for (int i = 0; i < 10; i++) {
      AdminProbe.Answers answers = probe.ask();
      assertThat(answers.healthz()).isEqualTo("503 draining\n");
      assertThat(answers.metricsStatus()).isEqualTo(200);
      assertThat(answers.sample("lb4j_draining")).isEqualTo(1.0);
      assertThat(answers.sample("lb4j_connections_open")).isEqualTo(1.0);
      assertThat(answers.sample("lb4j_host_connections", "upstream=\"echo\"")).isEqualTo(1.0);
    }
    assertThat(TlsClient.roundTrip(alice, "during the drain\n")).isEqualTo("during the drain\n");
    assertThat(closing).isNotDone();

    alice.close();
    // Until the listener stops, every probe is answered at once, and the count falls to 0.
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
      AdminProbe.Answers answers = probe.ask();
      if (answers == null) {
        return true;
      }
      assertThat(answers.healthz()).isEqualTo("503 draining\n");
      assertThat(answers.metricsStatus()).isEqualTo(200);
      assertThat(answers.sample("lb4j_draining")).isEqualTo(1.0);
      assertThat(answers.sample("lb4j_connections_open")).isBetween(0.0, 1.0);
      return false;
    });
    closing.get(30, TimeUnit.SECONDS);
  }
}
