package io.lb4j.ratelimit.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.testkit.junit.Peers;
import io.lb4j.testkit.redis.RedisCluster;
import io.lb4j.testkit.redis.RedisNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A Redis Cluster of three masters with a replica each; a master is killed under load. */
@Timeout(120)
class ClusterFailoverTest {

  private RedisCluster cluster;
  private FailoverScenario scenario;

  @BeforeEach
  void start() {
    Peers.assumeAvailable(RedisNode.binary().isPresent() && RedisNode.cliBinary().isPresent(),
        "redis-server", () -> "redis-server and redis-cli must be on the PATH");
    cluster = RedisCluster.start();
  }

  @AfterEach
  void stop() {
    if (scenario != null) {
      scenario.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void limitsFollowTheFailureModeWhileTheClusterFailsOverAndRecoverOnTheNewMaster()
      throws Exception {
    scenario = new FailoverScenario(b -> b.cluster(cluster.seeds().subList(0, 2)));
    RedisNode oldMaster = cluster.masterOf("test:{" + FailoverScenario.LOAD + "}");
    // A fresh client whose keys the killed master served too.
    String client = clientServedBy(oldMaster);

    scenario.run(oldMaster::kill, () -> await().atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> masterPortOrZero("test:{" + FailoverScenario.LOAD + "}") != oldMaster.port()
            && masterPortOrZero("test:{" + FailoverScenario.LOAD + "}") != 0), client);
  }

  @Test
  void eachClientsKeysShareOneSlotAndClientsSpreadOverTheMasters() {
    scenario = new FailoverScenario(b -> b.cluster(cluster.seeds()));
    Set<Integer> masters = new HashSet<>();
    for (int i = 0; i < 12; i++) {
      String cn = "client-" + i;
      assertThat(Decisions.admitted(scenario.open, cn, 3)).isEqualTo(2);
      assertThat(scenario.open.connectionCounts(cn).fleet()).as("counted in Redis").isEqualTo(2);
      assertThat(cluster.masterOf("test:{" + cn + "}").port())
          .isEqualTo(cluster.masterOf("test:{" + cn + "}:conc").port());
      masters.add(cluster.masterOf("test:{" + cn + "}").port());
    }
    assertThat(masters).hasSize(3);
  }

  private int masterPortOrZero(String key) {
    try {
      return cluster.masterOf(key).port();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private String clientServedBy(RedisNode master) {
    for (int i = 0; ; i++) {
      String cn = "bob-" + i;
      if (cluster.masterOf("test:{" + cn + "}").port() == master.port()) {
        return cn;
      }
    }
  }
}
