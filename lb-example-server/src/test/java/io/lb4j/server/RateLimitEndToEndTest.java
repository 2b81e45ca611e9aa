package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The token bucket through the whole server: a refused connection never reaches the upstream. */
@Timeout(60)
class RateLimitEndToEndTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture access;

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
    access = new LogCapture(ConnectionLog.LOGGER);
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    access.close();
  }

  @Test
  void connectionOverTheBurstIsRefusedAndNeverReachesTheUpstream() {
    EchoUpstream host = f.echo();
    LbServer server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        rateLimit:
          default: {connectionsPerSecond: 0.001, burst: 2}
        """.formatted(ServerFixture.hostList(java.util.List.of(host))));
    for (int i = 0; i < 2; i++) {
      SSLSocket admitted = f.connect(server, "echo", f.alice);
      assertThat(TlsClient.roundTrip(admitted, "hi\n")).isEqualTo("hi\n");
    }
    await().until(() -> host.acceptedConnections() == 2);

    assertThat(TlsClient.closedWithoutAnswer(f.connect(server, "echo", f.alice))).isTrue();

    await().until(() -> access.messages().stream().anyMatch(m -> m.contains("refusal=rate_limited")));
    assertThat(host.acceptedConnections()).isEqualTo(2);
  }
}
