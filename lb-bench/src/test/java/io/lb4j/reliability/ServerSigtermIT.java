package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.reliability.Crowd.Streamed;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference server's jar as its own process, with mTLS clients streaming through it when it
 * gets SIGTERM: it stops accepting, lets the streams finish within its drain timeout, ends those
 * still open when the timeout passes, and exits as the JVM does for SIGTERM (143).
 */
class ServerSigtermIT {

  private static final int CHUNK = 16 * 1024;
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final int SIGTERM_EXIT = 128 + 15;

  @TempDir Path dir;
  private MutualTls mtls;
  private EchoUpstream a;
  private EchoUpstream b;
  private ServerProcess process;
  private Process server;

  @BeforeEach
  void setUp() {
    mtls = new MutualTls(dir);
    a = Upstreams.echo();
    b = Upstreams.echo();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null && server.isAlive()) {
      server.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    }
    a.close();
    b.close();
  }

  private InetSocketAddress startServer(String drainTimeout) throws Exception {
    Path config = Files.writeString(dir.resolve("lb.yaml"), """
        tls:
          certificate: %s
          privateKey: %s
          clientCa: %s
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: [%s, %s]
            allow: [alice]
        drainTimeout: %s
        """.formatted(dir.resolve("server.pem"), dir.resolve("server-key.pem"),
            dir.resolve("client-ca.pem"), a.host(), b.host(), drainTimeout), StandardCharsets.UTF_8);
    process = ServerProcess.launch(config, dir.resolve("server.log")).awaitStarted(false);
    server = process.process();
    return process.address();
  }

  private String log() {
    return process.log();
  }

  private Crowd.Connector trusted(InetSocketAddress address) {
    return () -> MutualTls.open(mtls.trusted(), address, READ_TIMEOUT);
  }

  @Test
  void sigtermLetsStreamsFinishWithinTheDrainTimeoutThenTheServerExits() throws Exception {
    InetSocketAddress address = startServer("2m");
    int streams = Scale.of(50, 500);
    long length = 256 * 1024;

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(streams, trusted(address), length, CHUNK)) {
      crowd.awaitEstablished();
      server.destroy(); // SIGTERM
      await("the server stops accepting").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
          assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close()));
      assertThat(server.isAlive()).as("the server waits for the streams").isTrue();
      results = crowd.release().results(Scale.time(Duration.ofMinutes(3)));
    }
    assertThat(server.waitFor(60, TimeUnit.SECONDS)).as("the server exits after draining").isTrue();

    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("stream through SIGTERM: %s", s.result()).isEqualTo(Outcome.COMPLETED));
    assertThat(server.exitValue()).isEqualTo(SIGTERM_EXIT);
    assertThat(log()).contains("draining open connections");
    await().until(() -> a.openConnections() == 0 && b.openConnections() == 0);
    Figures.record("SIGTERM of the reference server (mTLS)",
        "%d streams of %s open at SIGTERM: all completed intact, then the process exited %d",
        streams, Figures.mib(length), server.exitValue());
  }

  @Test
  void sigtermEndsStreamsStillOpenAtTheDrainTimeoutAndTheServerExits() throws Exception {
    InetSocketAddress address = startServer("2s");
    int streams = Scale.of(50, 500);

    List<Streamed> results;
    try (Crowd crowd = Crowd.start(streams, trusted(address), Long.MAX_VALUE, CHUNK)) {
      crowd.awaitEstablished().release();
      server.destroy(); // SIGTERM
      assertThat(server.waitFor(60, TimeUnit.SECONDS))
          .as("the server exits once its 2 s drain timeout passes").isTrue();
      results = crowd.results(Scale.time(Duration.ofMinutes(3)));
    }

    assertThat(results).allSatisfy(s -> assertThat(s.result().outcome())
        .as("endless stream at SIGTERM: %s", s.result()).isEqualTo(Outcome.CUT));
    assertThat(server.exitValue()).isEqualTo(SIGTERM_EXIT);
    await().until(() -> a.openConnections() == 0 && b.openConnections() == 0);
    Figures.record("SIGTERM of the reference server, drain timeout (mTLS)",
        "%d endless streams at SIGTERM: all ended at the 2 s drain timeout (none hung, prefixes"
            + " intact), the process exited %d", streams, server.exitValue());
  }
}
