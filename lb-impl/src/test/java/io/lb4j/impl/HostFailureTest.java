package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.log.LogCapture;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Dead hosts are skipped, marked down and brought back; host lists change while running. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class HostFailureTest {

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  private static void echoOnce(InetSocketAddress address) throws Exception {
    try (Socket s = Clients.connect(address)) {
      s.getOutputStream().write(new byte[] {1, 2, 3});
      Clients.receive(s.getInputStream(), 3);
    }
  }

  private static boolean isUp(LoadBalancer lb, String upstream, Host host) {
    return lb.hostStatus(upstream).stream().anyMatch(s -> s.host().equals(host) && s.up());
  }

  @Test
  void everyClientReachesLiveHostWhileOthersRefuseOrNeverAnswer() throws Exception {
    EchoUpstream live = closer.track(Upstreams.echo());
    EchoUpstream killed = closer.track(Upstreams.echo());
    TestUpstream silent = closer.track(Upstreams.unresponsive());
    killed.stop();
    // The timeouts only bound how long the silent host is waited for, so they are generous: with
    // fall 1, a single check of the live host that a loaded machine let time out would take it out
    // of rotation and refuse every client.
    Upstream upstream =
        Fixtures.upstream("echo", killed, silent, live)
            .connectTimeout(Duration.ofSeconds(1))
            .connectAttempts(3)
            .healthCheck(HealthCheck.of(Duration.ofMillis(100), Duration.ofSeconds(2), 1, 1))
            .build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    InetSocketAddress address = lb.boundAddress("echo");

    for (int i = 0; i < 20; i++) {
      echoOnce(address);
    }

    assertThat(events.refusals).isEmpty();
    assertThat(events.connected).containsOnly(live.host());
    await().until(() -> !isUp(lb, "echo", killed.host()) && !isUp(lb, "echo", silent.host()));

    killed.restart();
    await().atMost(Duration.ofSeconds(10)).until(() -> isUp(lb, "echo", killed.host()));
  }

  @Test
  void passivelyMarkedHostIsSkippedWithoutHealthChecks() throws Exception {
    EchoUpstream live = closer.track(Upstreams.echo());
    Host refusing = Upstreams.refusing();
    Upstream upstream =
        Fixtures.upstream("echo", List.of(refusing, live.host()))
            .passiveDownTime(Duration.ofMinutes(10))
            .build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    try (LogCapture log = LogCapture.start()) {
      for (int i = 0; i < 10; i++) {
        echoOnce(lb.boundAddress("echo"));
      }
      // Durations in log lines are written as the configuration writes them, not as PT10M.
      assertThat(log.lines("host " + refusing, "is out of rotation for 10m after a failed connect"))
          .isEqualTo(1);
    }
    assertThat(events.refusals).isEmpty();
    assertThat(isUp(lb, "echo", refusing)).isFalse();
    assertThat(live.acceptedConnections()).isEqualTo(10);
  }

  @Test
  void clientIsRefusedWithNoHostWhenEveryHostIsDead() throws Exception {
    Upstream upstream =
        Fixtures.upstream("dead", List.of(Upstreams.refusing(), Upstreams.refusing())).build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    try (Socket s = Clients.connect(lb.boundAddress("dead"))) {
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    await().until(() -> events.closed.size() == 1);
    assertThat(events.refusals).extracting(Refuse::reason).containsExactly(RefusalReason.NO_HOST);
    assertThat(events.closed.peek().reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(lb.hostStatus("dead")).extracting(HostStatus::activeConnections).containsOnly(0);
  }

  @Test
  void upstreamWithNoHostsRefusesWithNoHost() throws Exception {
    LoadBalancer lb = closer.track(Fixtures.start(Upstream.builder("empty").build(), events));
    try (Socket s = Clients.connect(lb.boundAddress("empty"))) {
      s.setSoTimeout(10_000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
    await().until(() -> events.refusals.size() == 1);
    assertThat(events.refusals.peek().reason()).isEqualTo(RefusalReason.NO_HOST);
  }

  @Test
  void thirtyLongLivedConnectionsSpreadEvenlyAndRefillTheEmptiedHost() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    EchoUpstream c = closer.track(Upstreams.echo());
    LoadBalancer lb =
        closer.track(Fixtures.start(Fixtures.upstream("echo", a, b, c).build(), events));
    InetSocketAddress address = lb.boundAddress("echo");
    List<Socket> open = new ArrayList<>();
    try {
      for (int i = 0; i < 30; i++) {
        open.add(connectAndEcho(address));
      }
      await().until(() -> a.openConnections() == 10 && b.openConnections() == 10 && c.openConnections() == 10);

      List<Socket> onA = new ArrayList<>();
      // Close five connections that went to host a: the events tell which socket went where.
      for (int i = 0; i < open.size() && onA.size() < 5; i++) {
        Socket s = open.get(i);
        if (hostOf(s).equals(a.host())) {
          onA.add(s);
        }
      }
      for (Socket s : onA) {
        s.close();
        open.remove(s);
      }
      await().until(() -> a.openConnections() == 5);
      for (int i = 0; i < 5; i++) {
        open.add(connectAndEcho(address));
      }
      await().until(() -> a.openConnections() == 10);
      assertThat(b.openConnections()).isEqualTo(10);
      assertThat(c.openConnections()).isEqualTo(10);
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  private Socket connectAndEcho(InetSocketAddress address) throws Exception {
    Socket s = Clients.connect(address);
    s.getOutputStream().write(7);
    assertThat(s.getInputStream().read()).isEqualTo(7);
    return s;
  }

  private Host hostOf(Socket s) {
    return events.hostByClientPort.get(s.getLocalPort());
  }

  @Test
  void removedHostDrainsAndTakesNoNewConnections() throws Exception {
    EchoUpstream stays = closer.track(Upstreams.echo());
    EchoUpstream leaves = closer.track(Upstreams.echo());
    EchoUpstream arrives = closer.track(Upstreams.echo());
    Upstream before = Fixtures.upstream("echo", stays, leaves).build();
    LoadBalancer lb = closer.track(Fixtures.start(before, events));
    InetSocketAddress address = lb.boundAddress("echo");
    Socket first = connectAndEcho(address);
    Socket second = connectAndEcho(address);
    try {
      await().until(() -> stays.openConnections() == 1 && leaves.openConnections() == 1);

      lb.update(before.toBuilder().hosts(List.of(stays.host(), arrives.host())).build());

      assertThat(lb.hostStatus("echo"))
          .anySatisfy(s -> {
            assertThat(s.host()).isEqualTo(leaves.host());
            assertThat(s.draining()).isTrue();
            assertThat(s.activeConnections()).isEqualTo(1);
          });
      for (Socket s : List.of(first, second)) {
        s.getOutputStream().write(9);
        assertThat(s.getInputStream().read()).as("established connections survive").isEqualTo(9);
      }
      List<Socket> more = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        more.add(connectAndEcho(address));
      }
      assertThat(leaves.acceptedConnections()).isEqualTo(1);
      try {
        // Least connections over the two eligible hosts: 1 + 0 + 4 new = 5, split 3 and 2.
        await().until(() -> arrives.openConnections() + stays.openConnections() == 5);
        assertThat(arrives.openConnections()).isBetween(2, 3);
      } finally {
        for (Socket s : more) {
          s.close();
        }
      }
    } finally {
      first.close();
      second.close();
    }
    await().until(() -> lb.hostStatus("echo").stream().noneMatch(s -> s.host().equals(leaves.host())));
  }
}
