package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Host;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.upstream.EchoUpstream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Least connections, as the configuration's default strategy, over long-lived connections. */
@Timeout(60)
class BalancingTest {

  @TempDir Path dir;
  private ServerFixture f;

  @AfterEach
  void tearDown() throws Exception {
    f.close();
  }

  private static Map<Host, Integer> counts(LbServer server) {
    Map<Host, Integer> counts = new HashMap<>();
    for (HostStatus s : server.loadBalancer().hostStatus("echo")) {
      counts.put(s.host(), s.activeConnections());
    }
    return counts;
  }

  /** Opens one connection, proves it forwarded, and returns the host it landed on. */
  private Host openOne(LbServer server, List<SSLSocket> into) {
    Map<Host, Integer> before = counts(server);
    SSLSocket s = f.connect(server, "echo", f.alice);
    assertThat(TlsClient.roundTrip(s, "x")).isEqualTo("x");
    into.add(s);
    Map<Host, Integer> after = counts(server);
    List<Host> grew = after.keySet().stream()
        .filter(h -> after.get(h) == before.getOrDefault(h, 0) + 1)
        .toList();
    assertThat(grew).hasSize(1);
    return grew.get(0);
  }

  @Test
  void thirtyLongLivedConnectionsLandTenOnEachOfThreeHostsAndFreedPlacesAreRefilled()
      throws Exception {
    f = new ServerFixture(dir);
    List<EchoUpstream> hosts = f.echoes(3);
    LbServer server = f.start(ServerFixture.tlsSection() + """
        upstreams:
          - name: echo
            listen: 127.0.0.1:0
            strategy: least-connections
            hosts: %s
            allow: [alice]
        """.formatted(ServerFixture.hostList(hosts)));

    Map<Host, List<SSLSocket>> byHost = new HashMap<>();
    for (int i = 0; i < 30; i++) {
      List<SSLSocket> opened = new ArrayList<>();
      Host h = openOne(server, opened);
      byHost.computeIfAbsent(h, k -> new ArrayList<>()).addAll(opened);
    }
    assertThat(counts(server).values()).containsExactlyInAnyOrder(10, 10, 10);
    assertThat(hosts).allSatisfy(h -> assertThat(h.openConnections()).isEqualTo(10));

    Host first = hosts.get(0).host();
    for (SSLSocket s : byHost.get(first).subList(0, 5)) {
      s.close();
    }
    await().until(() -> counts(server).get(first) == 5);

    List<Host> next = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      next.add(openOne(server, new ArrayList<>()));
    }
    assertThat(next).containsOnly(first);
    assertThat(counts(server).values()).containsExactlyInAnyOrder(10, 10, 10);
  }
}
