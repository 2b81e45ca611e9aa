package io.lb4j.ratelimit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.redis.RedisNode;
import io.lb4j.testkit.redis.RedisSentinels;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A master, a replica and three sentinels; the master is killed under load. */
@Timeout(120)
class SentinelFailoverTest {

  private RedisSentinels redis;
  private FailoverScenario scenario;

  @BeforeEach
  void start() {
    Peers.assumeAvailable(RedisNode.binary().isPresent() && RedisNode.cliBinary().isPresent(),
        "redis-server", () -> "redis-server and redis-cli must be on the PATH");
    redis = RedisSentinels.start();
  }

  @AfterEach
  void stop() {
    if (scenario != null) {
      scenario.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void limitsFollowTheFailureModeWhileSentinelPromotesAndRecoverOnTheNewMaster() throws Exception {
    scenario = new FailoverScenario(b -> b.redisUri(redis.uri()));
    RedisNode oldMaster = redis.master();
    assertThat(scenario.open.toString()).contains("master lb4j of sentinels [127.0.0.1:");

    scenario.run(oldMaster::kill,
        () -> redis.awaitMasterOtherThan(oldMaster.port(), Duration.ofSeconds(30)), "bob");

    assertThat(redis.masterPort()).isNotEqualTo(oldMaster.port());
  }
}
