package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.InvalidSettingException;
import io.lb4j.api.RateLimitState;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.Upstream;
import io.lb4j.impl.admin.AdminState;
import io.lb4j.impl.admin.CheckResult;
import io.lb4j.impl.admin.HostState;
import io.lb4j.impl.admin.HostView;
import io.lb4j.impl.admin.UpstreamView;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.time.ManualClock;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator's controls: host states kept apart from health, weights, rate limit state. */
@ExtendWith(NettyLeakDetector.class)
@Timeout(120)
class AdminTest {

  @RegisterExtension final Closer closer = new Closer();
  private final RecordingListener events = new RecordingListener();

  private static HostView host(Admin admin, String upstream, Host host) {
    return admin.upstream(upstream).orElseThrow().hosts().stream()
        .filter(h -> h.host().equals(host)).findFirst().orElseThrow();
  }

  /** Opens a connection through the balancer and waits until it is forwarded; returns its host. */
  private Host connectedThrough(Socket s) throws Exception {
    s.getOutputStream().write(new byte[] {7});
    Clients.receive(s.getInputStream(), 1);
    return events.hostByClientPort.get(s.getLocalPort());
  }

  @Test
  void listsUpstreamsWithHostsStateConnectionsAndWeight() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    Upstream upstream = Fixtures.upstream("echo", a, b).weight(b.host(), 4).build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      Host used = connectedThrough(s);

      List<UpstreamView> all = lb.admin().upstreams();

      assertThat(all).extracting(UpstreamView::name).containsExactly("echo");
      assertThat(all.get(0).hosts()).extracting(HostView::host).containsExactly(a.host(), b.host());
      assertThat(all.get(0).hosts()).allSatisfy(h -> {
        assertThat(h.state()).isEqualTo(HostState.UP);
        assertThat(h.admin()).isEqualTo(AdminState.ENABLED);
        assertThat(h.lastCheck()).isEqualTo(CheckResult.NONE);
      });
      assertThat(host(lb.admin(), "echo", used).activeConnections()).isEqualTo(1);
      assertThat(host(lb.admin(), "echo", b.host()).weight()).isEqualTo(4);
      assertThat(lb.admin().upstream("nope")).isEmpty();
    }
  }

  @Test
  void drainedHostTakesNoNewConnectionAndKeepsItsOpenOnes() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a, b).build(), events));
    try (Socket first = Clients.connect(lb.boundAddress("echo"))) {
      Host used = connectedThrough(first);
      Host other = used.equals(a.host()) ? b.host() : a.host();

      assertThat(lb.admin().drain("echo", used)).isEqualTo(AdminState.ENABLED);

      for (int i = 0; i < 4; i++) {
        try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
          assertThat(connectedThrough(s)).isEqualTo(other);
        }
      }
      assertThat(connectedThrough(first)).as("the open connection still echoes").isEqualTo(used);
      assertThat(host(lb.admin(), "echo", used).state()).isEqualTo(HostState.DRAINING);
    }
  }

  @Test
  void disabledHostHasItsConnectionsClosedAfterTheGrace() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a).build(), events));
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      connectedThrough(s);

      assertThat(lb.admin().disable("echo", a.host(), Duration.ofMillis(200)))
          .isEqualTo(AdminState.ENABLED);

      s.setSoTimeout(30_000);
      assertThat(s.getInputStream().read()).as("closed by lb4j").isEqualTo(-1);
      await().until(() -> !events.closed.isEmpty());
      assertThat(events.closed).extracting(ConnectionEvent::reason)
          .containsExactly(CloseReason.ADMIN_DISABLED);
      assertThat(host(lb.admin(), "echo", a.host()).state()).isEqualTo(HostState.DISABLED);
    }
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      s.setSoTimeout(30_000);
      assertThat(s.getInputStream().read()).as("no host takes it").isEqualTo(-1);
    }
  }

  @Test
  void enablingWithinTheGraceCallsTheCloseOff() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a, b).build(), events));
    try (Socket first = Clients.connect(lb.boundAddress("echo"));
        Socket second = Clients.connect(lb.boundAddress("echo"))) {
      Host kept = connectedThrough(first);
      Host closed = connectedThrough(second);
      assertThat(kept).isNotEqualTo(closed);

      lb.admin().disable("echo", kept, Duration.ofMillis(200));
      assertThat(lb.admin().enable("echo", kept)).isEqualTo(AdminState.DISABLED);
      // Ordered later with the same grace: once it has closed its connection, the called-off
      // order's time has passed too.
      lb.admin().disable("echo", closed, Duration.ofMillis(200));

      await().until(() -> !events.closed.isEmpty());
      assertThat(events.closed).extracting(ConnectionEvent::reason)
          .containsExactly(CloseReason.ADMIN_DISABLED);
      assertThat(connectedThrough(first)).as("still forwarded").isEqualTo(kept);
      assertThat(host(lb.admin(), "echo", kept).state()).isEqualTo(HostState.UP);
    }
  }

  @Test
  void disabledHostStaysOutWhileItsChecksPassAndEnabledHostFailingThemIsDown() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    Upstream upstream = Fixtures.upstream("echo", a, b)
        .healthCheck(HealthCheck.of(Duration.ofMillis(50), Duration.ofSeconds(2), 1, 1))
        .build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    Admin admin = lb.admin();
    admin.disable("echo", a.host(), Duration.ZERO);
    b.stop();

    await().until(() -> host(admin, "echo", b.host()).state() == HostState.DOWN
        && host(admin, "echo", a.host()).checksInARow() >= 3);
    HostView disabled = host(admin, "echo", a.host());
    assertThat(disabled.state()).isEqualTo(HostState.DISABLED);
    assertThat(disabled.healthy()).isTrue();
    assertThat(disabled.lastCheck()).isEqualTo(CheckResult.PASSED);
    assertThat(host(admin, "echo", b.host()).lastCheck()).isEqualTo(CheckResult.FAILED);
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      s.setSoTimeout(30_000);
      assertThat(s.getInputStream().read()).as("neither host takes it").isEqualTo(-1);
    }

    admin.enable("echo", a.host());
    try (Socket s = Clients.connect(lb.boundAddress("echo"))) {
      assertThat(connectedThrough(s)).isEqualTo(a.host());
    }
  }

  @Test
  void stateIsKeptAcrossAnUpdateWhileTheHostStaysAndForgottenWhenItLeaves() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    Upstream upstream = Fixtures.upstream("echo", a, b).build();
    LoadBalancer lb = closer.track(Fixtures.start(upstream, events));
    lb.admin().drain("echo", a.host());
    lb.admin().disable("echo", b.host(), Duration.ofMinutes(5));

    lb.update(upstream.toBuilder().idleTimeout(Duration.ofMinutes(3)).build());
    assertThat(host(lb.admin(), "echo", a.host()).admin()).isEqualTo(AdminState.DRAINING);
    assertThat(host(lb.admin(), "echo", b.host()).admin()).isEqualTo(AdminState.DISABLED);

    lb.update(upstream.toBuilder().hosts(List.of(b.host())).build());
    lb.update(upstream);
    assertThat(host(lb.admin(), "echo", a.host()).admin()).isEqualTo(AdminState.ENABLED);
    assertThat(host(lb.admin(), "echo", b.host()).admin()).isEqualTo(AdminState.DISABLED);
  }

  @Test
  void hostThatJoinedShowsItsSlowStartGrowingToFullWeight() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2027-01-01T00:00:00Z"));
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    Duration slowStart = Duration.ofSeconds(40);
    LoadBalancer lb = closer.track(LoadBalancer.builder()
        .upstream(Fixtures.upstream("echo", a).slowStart(slowStart).build(), Fixtures.ANY_PORT)
        .listener(events)
        .nanoClock(clock::nanoTime)
        .build()
        .start());

    lb.update(Fixtures.upstream("echo", a, b).slowStart(slowStart).build());

    HostView joined = host(lb.admin(), "echo", b.host());
    assertThat(joined.slowStarting()).isTrue();
    assertThat(joined.slowStartShare()).isGreaterThan(0).isLessThan(0.05);
    assertThat(host(lb.admin(), "echo", a.host()).slowStartShare())
        .as("a host given at the start is at full weight").isEqualTo(1);

    clock.advance(Duration.ofSeconds(10));
    assertThat(host(lb.admin(), "echo", b.host()).slowStartShare()).isCloseTo(0.25, within(0.02));

    clock.advance(Duration.ofSeconds(30));
    HostView ramped = host(lb.admin(), "echo", b.host());
    assertThat(ramped.slowStarting()).isFalse();
    assertThat(ramped.slowStartShare()).isEqualTo(1);
  }

  @Test
  void hostThatJoinedWithoutSlowStartIsAtFullWeightAtOnce() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    EchoUpstream b = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a).build(), events));

    lb.update(Fixtures.upstream("echo", a, b).build());

    HostView joined = host(lb.admin(), "echo", b.host());
    assertThat(joined.slowStarting()).isFalse();
    assertThat(joined.slowStartShare()).isEqualTo(1);
  }

  @Test
  void weightChangeGoesThroughUpdateAndTellsThePreviousWeight() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a).build(), events));

    assertThat(lb.admin().weight("echo", a.host(), 3)).isEqualTo(1);
    assertThat(lb.admin().weight("echo", a.host(), 5)).isEqualTo(3);

    assertThat(host(lb.admin(), "echo", a.host()).weight()).isEqualTo(5);
    assertThat(lb.admin().upstream("echo").orElseThrow().settings().weight(a.host())).isEqualTo(5);
    assertThatThrownBy(() -> lb.admin().weight("echo", a.host(), 0))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("weight"));
    assertThat(host(lb.admin(), "echo", a.host()).weight()).isEqualTo(5);
  }

  @Test
  void unknownUpstreamOrHostAndNegativeGraceChangeNothing() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    LoadBalancer lb = closer.track(Fixtures.start(Fixtures.upstream("echo", a).build(), events));
    Admin admin = lb.admin();
    Host stranger = Host.of("127.0.0.1", 1);

    assertThatThrownBy(() -> admin.drain("nope", a.host()))
        .isInstanceOf(NoSuchElementException.class).hasMessage("no upstream named 'nope'");
    assertThatThrownBy(() -> admin.enable("echo", stranger))
        .isInstanceOf(NoSuchElementException.class)
        .hasMessage("no host 127.0.0.1:1 in upstream 'echo'");
    assertThatThrownBy(() -> admin.disable("echo", a.host(), Duration.ofSeconds(-1)))
        .isInstanceOfSatisfying(InvalidSettingException.class,
            e -> assertThat(e.setting()).isEqualTo("grace"));
    assertThat(host(admin, "echo", a.host()).admin()).isEqualTo(AdminState.ENABLED);
  }

  @Test
  void clientLimitsAreReadAndResetThroughTheLimiter() throws Exception {
    EchoUpstream a = closer.track(Upstreams.echo());
    RateLimitState alice = new RateLimitState("alice", true, OptionalLong.of(2), 1, 3);
    java.util.List<String> resets = new java.util.concurrent.CopyOnWriteArrayList<>();
    RateLimiter limiter = new RateLimiter() {
      @Override
      public java.util.concurrent.CompletionStage<io.lb4j.api.Decision> acquire(
          io.lb4j.api.ClientIdentity identity, String upstream) {
        return ADMITTED;
      }

      @Override
      public Optional<RateLimitState> state(String client) {
        return client.equals("alice") ? Optional.of(alice) : Optional.empty();
      }

      @Override
      public boolean reset(String client) {
        resets.add(client);
        return true;
      }
    };
    LoadBalancer lb = closer.track(LoadBalancer.builder()
        .upstream(Fixtures.upstream("echo", a).build(), Fixtures.ANY_PORT)
        .rateLimiter(limiter).build().start());

    assertThat(lb.admin().clientLimits("alice")).contains(alice);
    assertThat(lb.admin().clientLimits("bob")).isEmpty();
    assertThat(lb.admin().resetClientLimits("alice")).isTrue();
    assertThat(resets).containsExactly("alice");

    lb.rateLimiter(RateLimiter.unlimited());
    assertThat(lb.admin().clientLimits("alice")).as("the SPI's default").isEmpty();
    assertThat(lb.admin().resetClientLimits("alice")).isFalse();
  }

  @Test
  void adminIsRefusedBeforeStart() {
    LoadBalancer lb = LoadBalancer.builder()
        .upstream(Upstream.builder("echo").build(), Fixtures.ANY_PORT).build();
    assertThatThrownBy(lb::admin).isInstanceOf(IllegalStateException.class);
  }
}
