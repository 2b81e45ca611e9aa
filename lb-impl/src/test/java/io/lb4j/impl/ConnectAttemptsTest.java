package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.Host;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How many hosts a connection tries, and how long it waits for each. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class ConnectAttemptsTest {

  /** Tries the hosts in the order the upstream lists them, so a test knows which comes first. */
  private static final BalancingStrategy FIRST_LISTED = (candidates, connection) -> 0;

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  /** Opens a client, which lb4j refuses, and returns the connection's one event. */
  private ConnectionEvent refusedClient(LoadBalancer lb, String upstream) throws Exception {
    try (Socket s = Clients.connect(lb.boundAddress(upstream))) {
      assertThat(s.getInputStream().read()).as("lb4j closes a refused client").isEqualTo(-1);
    }
    await().until(() -> events.closed.size() == 1);
    return events.closed.peek();
  }

  @Test
  void triesNoMoreHostsThanConnectAttemptsThenRefusesWithNoHost() throws Exception {
    List<Host> dead = List.of(Upstreams.refusing(), Upstreams.refusing(), Upstreams.refusing());
    Upstream upstream = Fixtures.upstream("dead", dead)
        .connectAttempts(2)
        .passiveDownTime(Duration.ofMinutes(10))
        .build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));

    ConnectionEvent event = refusedClient(lb, "dead");

    assertThat(event.reason()).isEqualTo(CloseReason.REFUSED);
    assertThat(events.refusals).hasSize(1);
    Refuse refusal = events.refusals.peek();
    assertThat(refusal.reason()).isEqualTo(RefusalReason.NO_HOST);
    assertThat(refusal.detail()).contains("after 2 attempt(s)");
    // Each failed connect marks its host down (a passive mark): exactly two were tried.
    assertThat(lb.hostStatus("dead")).filteredOn(s -> !s.up()).hasSize(2);
    assertThat(lb.hostStatus("dead")).filteredOn(HostStatus::up).hasSize(1);
    assertThat(lb.hostStatus("dead")).extracting(HostStatus::activeConnections).containsOnly(0);
  }

  @Test
  void hostThatNeverAnswersIsGivenUpAtTheConnectTimeoutAndTheNextHostServes() throws Exception {
    TestUpstream silent = closer.track(Upstreams.unresponsive());
    EchoUpstream live = closer.track(Upstreams.echo());
    Upstream upstream = Fixtures.upstream("echo", silent, live)
        .strategy(FIRST_LISTED)
        .connectTimeout(Duration.ofMillis(250))
        .connectAttempts(2)
        .passiveDownTime(Duration.ofMinutes(10))
        .build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));

    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      s.setSoTimeout(30_000); // generous: far beyond the connect timeout, never a timing claim
      s.getOutputStream().write(new byte[] {1, 2, 3});
      Clients.receive(s.getInputStream(), 3);
    }

    assertThat(events.refusals).isEmpty();
    assertThat(events.connected).containsExactly(live.host());
    assertThat(lb.hostStatus("echo"))
        .anySatisfy(s -> {
          assertThat(s.host()).isEqualTo(silent.host());
          assertThat(s.up()).as("marked down after its connect timed out").isFalse();
          assertThat(s.activeConnections()).isZero();
        });
    assertThat(live.acceptedConnections()).isEqualTo(1);
  }

  @Test
  void connectToAHostThatNeverAnswersEndsAtTheConfiguredTimeout() throws Exception {
    TestUpstream silent = closer.track(Upstreams.unresponsive());
    Upstream upstream = Fixtures.upstream("silent", silent)
        .connectTimeout(Duration.ofMillis(250))
        .connectAttempts(1)
        .build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));

    refusedClient(lb, "silent");

    // The transport's own message names the timeout it was given: the upstream's, not a default.
    assertThat(events.refusals).singleElement().satisfies(r -> {
      assertThat(r.reason()).isEqualTo(RefusalReason.NO_HOST);
      assertThat(r.detail()).contains("after 1 attempt(s)", "timed out after 250 ms");
    });
  }
}
