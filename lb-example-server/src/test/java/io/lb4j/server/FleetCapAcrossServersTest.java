package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.redis.RedisNode;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two servers, each with its own load balancer, share one Redis: a client's maxConcurrent holds
 * for both together, and each server's metrics show its own and the fleet's count.
 */
@Timeout(90)
class FleetCapAcrossServersTest {

  @TempDir Path dir;
  private ServerFixture f;
  private RedisNode redis;
  private EchoUpstream host;

  @BeforeEach
  void setUp() {
    Peers.assumeAvailable(RedisNode.binary().isPresent(), "redis-server",
        () -> "no redis-server binary is on the PATH");
    redis = RedisNode.start(RedisNode.freePort(), List.of());
    f = new ServerFixture(dir);
    host = f.echo();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (f != null) {
      f.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private LbServer start(String instanceId) {
    return f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        rateLimit:
          clients:
            alice: {maxConcurrent: 2}
          redis: {uri: "%s", instanceId: %s, commandTimeout: 5s}
        admin:
          listen: 127.0.0.1:0
        """.formatted(ServerFixture.hostList(List.of(host)), redis.uri(), instanceId));
  }

  private static double clientConnections(String metrics, String scope) {
    return Metrics.value(metrics, "lb4j_ratelimit_client_connections",
        "client=\"alice\"", "scope=\"" + scope + "\"");
  }

  @Test
  void aClientHoldsAtMostItsCapAcrossBothServers() throws Exception {
    LbServer first = start("lb-1");
    LbServer second = start("lb-2");

    SSLSocket one = f.connect(first, "echo", f.alice);
    assertThat(TlsClient.roundTrip(one, "one\n")).isEqualTo("one\n");
    SSLSocket two = f.connect(second, "echo", f.alice);
    assertThat(TlsClient.roundTrip(two, "two\n")).isEqualTo("two\n");

    assertThat(TlsClient.closedWithoutAnswer(f.connect(first, "echo", f.alice))).isTrue();
    assertThat(TlsClient.closedWithoutAnswer(f.connect(second, "echo", f.alice))).isTrue();

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      String metrics = ServerFixture.get(first.adminAddress(), "/metrics");
      assertThat(clientConnections(metrics, "instance")).isEqualTo(1.0);
      assertThat(clientConnections(metrics, "fleet")).isEqualTo(2.0);
    });

    two.close();
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(clientConnections(
        ServerFixture.get(second.adminAddress(), "/metrics"), "fleet")).isEqualTo(1.0));
    SSLSocket three = f.connect(first, "echo", f.alice);
    assertThat(TlsClient.roundTrip(three, "three\n")).isEqualTo("three\n");
  }
}
