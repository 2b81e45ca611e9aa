package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.lb4j.api.Host;
import io.lb4j.impl.ConnectionLog;
import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.redis.RedisNode;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SSLSocket;
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
    return start("redis://" + noRedis, "{connectionsPerSecond: 100, burst: 100}", failOpen, "200ms");
  }

  private LbServer start(String redisUri, String limit, boolean failOpen, String commandTimeout) {
    return f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            hosts: %s
            allow: [alice]
        rateLimit:
          default: %s
          redis: {uri: "%s", failOpen: %s, commandTimeout: %s}
        admin:
          listen: 127.0.0.1:0
        """.formatted(ServerFixture.hostList(List.of(host)), limit, redisUri, failOpen,
            commandTimeout));
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
  void clientStateAnswers503WhileRedisIsOutOfReach() {
    LbServer server = start(true);
    AdminClient admin = new AdminClient(server.adminAddress(), null);

    AdminClient.Answer read = admin.get("/api/clients/alice");
    AdminClient.Answer reset = admin.send("DELETE", "/api/clients/alice", null);

    assertThat(read.status()).as(read.body()).isEqualTo(503);
    assertThat(read.error()).startsWith("rate limit state of alice cannot be read: ")
        .contains("redis");
    assertThat(reset.status()).as(reset.body()).isEqualTo(503);
  }

  @Test
  void clientStateComesFromRedisAndResetRefillsTheSharedBucket() {
    Peers.assumeAvailable(RedisNode.binary().isPresent(), "redis-server",
        () -> "no redis-server binary is on the PATH");
    RedisNode redis = f.track(RedisNode.start(RedisNode.freePort(), List.of()));
    LbServer server = start(redis.uri(),
        "{connectionsPerSecond: 0.001, burst: 5, maxConcurrent: 10}", false, "5s");
    AdminClient admin = new AdminClient(server.adminAddress(), null);
    SSLSocket open = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(open, "hi\n")).isEqualTo("hi\n");

    AdminClient.Answer read = admin.get("/api/clients/alice");

    assertThat(read.status()).as(read.body()).isEqualTo(200);
    JsonNode alice = read.json();
    assertThat(alice.get("remembered").asBoolean()).isTrue();
    assertThat(alice.get("tokensLeft").asLong()).isEqualTo(4);
    assertThat(alice.get("connectionsHeld").asInt()).isEqualTo(1);
    assertThat(alice.get("fleetConnectionsHeld").asLong()).isEqualTo(1);
    assertThat(alice.get("maxConcurrent").asInt()).isEqualTo(10);

    AdminClient.Answer reset = admin.send("DELETE", "/api/clients/alice", null);

    assertThat(reset.status()).as(reset.body()).isEqualTo(200);
    assertThat(reset.json().get("before").get("tokensLeft").asLong()).isEqualTo(4);
    assertThat(reset.json().get("after").get("tokensLeft").asLong()).isEqualTo(5);
    assertThat(reset.json().get("after").get("fleetConnectionsHeld").asLong()).isEqualTo(1);
  }

  @Test
  void failOpenAdmitsWhileRedisIsOutOfReach() {
    LbServer server = start(true);

    assertThat(TlsClient.roundTrip(f.connect(server, "echo", f.alice), "open\n")).isEqualTo("open\n");
  }
}
