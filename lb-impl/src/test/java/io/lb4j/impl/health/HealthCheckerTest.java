package io.lb4j.impl.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.impl.pool.HostPool;
import io.lb4j.impl.resolve.HostResolver;
import io.lb4j.impl.transport.Transport;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthCheckerTest {

  private static final Duration INTERVAL = Duration.ofMillis(50);
  private static final HealthCheck CHECK =
      HealthCheck.of(INTERVAL, Duration.ofMillis(500), 2, 2);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final Transport transport = Transport.best();
  private final EventLoopGroup group =
      transport.newGroup(1, new DefaultThreadFactory("health-test", true));
  private final HostResolver resolver = HostResolver.system(transport, Duration.ofSeconds(2));
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private HealthChecker checker;

  @AfterEach
  void tearDown() throws Exception {
    if (checker != null) {
      checker.close();
    }
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    resolver.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private ListeningPort listening() {
    ListeningPort p = ListeningPort.listening();
    closeAfter.add(p);
    return p;
  }

  private ListeningPort stopped() {
    ListeningPort p = ListeningPort.stopped();
    closeAfter.add(p);
    return p;
  }

  private static Upstream upstream(HealthCheck check, Host... hosts) {
    return Upstream.builder("api").hosts(List.of(hosts)).healthCheck(check).build();
  }

  private HostPool checkedPool(Upstream upstream) {
    HostPool pool = new HostPool(upstream, System::nanoTime);
    checker = new HealthChecker(pool, group, transport, resolver);
    checker.start();
    return pool;
  }

  private static boolean up(HostPool pool, Host host) {
    return pool.snapshot().stream()
        .filter(s -> s.host().equals(host))
        .findFirst()
        .map(HostStatus::up)
        .orElseThrow(() -> new AssertionError(host + " unknown to " + pool));
  }

  @Test
  void takesAHostOutOfRotationWhenItStopsAccepting() {
    ListeningPort a = listening();
    ListeningPort b = listening();
    HostPool pool = checkedPool(upstream(CHECK, a.host(), b.host()));
    await().atMost(WAIT).until(() -> a.acceptedConnections() >= 2 && b.acceptedConnections() >= 2);

    a.stop();

    await().atMost(WAIT).until(() -> !up(pool, a.host()));
    assertThat(up(pool, b.host())).isTrue();
  }

  @Test
  void bringsAHostBackWhenItAcceptsAgain() {
    ListeningPort a = stopped();
    HostPool pool = checkedPool(upstream(CHECK, a.host()));
    await().atMost(WAIT).until(() -> !up(pool, a.host()));

    a.listen();

    await().atMost(WAIT).until(() -> up(pool, a.host()));
  }

  @Test
  void aHealthyHostStaysInRotation() {
    ListeningPort a = listening();
    HostPool pool = checkedPool(upstream(CHECK, a.host()));

    await().atMost(WAIT).until(() -> a.acceptedConnections() >= 5);

    assertThat(up(pool, a.host())).isTrue();
  }

  @Test
  void countsAConnectTimeoutAsAFailedCheck() throws IOException {
    // A listener that never accepts, with its queue filled, lets new SYNs go unanswered.
    ServerSocket silent = new ServerSocket();
    closeAfter.add(silent);
    silent.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
    for (int i = 0; i < 4; i++) {
      Socket filler = new Socket();
      closeAfter.add(filler);
      try {
        filler.connect(silent.getLocalSocketAddress(), 200);
      } catch (IOException queueAlreadyFull) {
        break;
      }
    }
    Host host = Host.of("127.0.0.1", silent.getLocalPort());
    HostPool pool = checkedPool(
        upstream(HealthCheck.of(INTERVAL, Duration.ofMillis(100), 1, 1), host));

    await().atMost(WAIT).until(() -> !up(pool, host));
  }

  @Test
  void checksNothingWhenTheUpstreamHasNoHealthCheck() {
    ListeningPort a = listening();
    checkedPool(upstream(null, a.host()));

    assertThat(checker.checkedHosts()).isEmpty();
  }

  @Test
  void refreshChecksNewHostsAndStopsCheckingRemovedOnes() {
    ListeningPort a = listening();
    ListeningPort b = stopped();
    HostPool pool = checkedPool(upstream(CHECK, a.host()));

    pool.update(upstream(CHECK, b.host()));
    checker.refresh();

    assertThat(checker.checkedHosts()).containsExactly(b.host());
    await().atMost(WAIT).until(() -> !up(pool, b.host()));
  }

  @Test
  void refreshStartsChecksWhenTheHealthCheckIsTurnedOn() {
    ListeningPort a = stopped();
    HostPool pool = checkedPool(upstream(null, a.host()));

    pool.update(upstream(CHECK, a.host()));
    checker.refresh();

    await().atMost(WAIT).until(() -> !up(pool, a.host()));
  }

  @Test
  void refreshStopsChecksWhenTheHealthCheckIsTurnedOff() {
    ListeningPort a = listening();
    HostPool pool = checkedPool(upstream(CHECK, a.host()));

    pool.update(upstream(null, a.host()));
    checker.refresh();

    assertThat(checker.checkedHosts()).isEmpty();
  }

  @Test
  void refreshBeforeStartChecksNothing() {
    ListeningPort a = listening();
    HostPool pool = new HostPool(upstream(CHECK, a.host()), System::nanoTime);
    checker = new HealthChecker(pool, group, transport, resolver);

    checker.refresh();

    assertThat(checker.checkedHosts()).isEmpty();
  }

  @Test
  void closeStopsEveryCheck() {
    ListeningPort a = listening();
    HostPool pool = checkedPool(upstream(HealthCheck.of(INTERVAL, Duration.ofMillis(500), 1, 1),
        a.host()));
    await().atMost(WAIT).until(() -> a.acceptedConnections() >= 2);

    checker.close();
    a.stop();

    assertThat(checker.checkedHosts()).isEmpty();
    // With fall 1 and a 50 ms interval, one more check would take the host out at once.
    await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> up(pool, a.host()));
  }

  @Test
  void closeIsIdempotentAndStartAfterCloseChecksNothing() {
    ListeningPort a = listening();
    checkedPool(upstream(CHECK, a.host()));

    checker.close();
    checker.close();
    checker.start();

    assertThat(checker.checkedHosts()).isEmpty();
  }
}
