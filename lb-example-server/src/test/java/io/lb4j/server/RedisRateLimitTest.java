package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Host;
import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rateLimit.redis section puts the shared limiter in place; with Redis out of reach, failOpen
 * decides, and the metrics say Redis is unavailable.
 */
@Timeout(60)
class RedisRateLimitTest {

  @TempDir Path dir;
  private ServerFixture f;
  private LogCapture access;
  private EchoUpstream host;
  private Host noRedis;

  @BeforeEach
  void setUp() {
    f = new ServerFixture(dir);
    access = new LogCapture(ConnectionLog.LOGGER);
    host = f.echo();
    noRedis = Upstreams.refusing();
  }

  @AfterEach
  void tearDown() throws Exception {
    f.close();
    access.close();
  }

  private LbServer start(boolean failOpen) {
    return f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        rateLimit:
          default: {connectionsPerSecond: 100, burst: 100}
          redis: {uri: "redis://%s", failOpen: %s, commandTimeout: 200ms}
        admin:
          listen: 127.0.0.1:0
        """.formatted(ServerFixture.hostList(List.of(host)), noRedis, failOpen));
  }

  @Test
  void failClosedRefusesWhileRedisIsOutOfReach() {
    LbServer server = start(false);

    assertThat(TlsClient.closedWithoutAnswer(f.connect(server, "echo", f.alice))).isTrue();

    await().until(() -> access.messages().size() == 1);
    assertThat(access.messages().get(0)).contains("refusal=limiter_unavailable");
    assertThat(host.acceptedConnections()).isZero();
    String metrics = ServerFixture.get(server.adminAddress(), "/metrics");
    assertThat(Metrics.value(metrics, "lb4j_ratelimit_redis_available")).isEqualTo(0.0);
    assertThat(Metrics.value(metrics, "lb4j_ratelimit_redis_failures_total")).isGreaterThanOrEqualTo(1.0);
  }

  @Test
  void failOpenAdmitsWhileRedisIsOutOfReach() {
    LbServer server = start(true);

    assertThat(TlsClient.roundTrip(f.connect(server, "echo", f.alice), "open\n")).isEqualTo("open\n");
  }
}
