package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.DiscoveredHost;
import io.lb4j.api.Host;
import io.lb4j.api.HostSource;
import io.lb4j.api.HostSource.Failure;
import io.lb4j.api.Upstream;
import io.lb4j.testkit.log.LogCapture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * How a published host set becomes the running upstream, and what failures do, without a network:
 * the source here is the test itself. The same behaviour against a real DNS server is in
 * {@link DiscoveredUpstreamTest}.
 */
class UpstreamDiscoveryTest {

  private final List<Upstream> applied = new ArrayList<>();
  private final AtomicReference<String> noHost = new AtomicReference<>();
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final AtomicReference<HostSource.Sink> sink = new AtomicReference<>();
  private final HostSource source = (upstream, s) -> {
    sink.set(s);
    return () -> {};
  };
  private final UpstreamDiscovery discovery = new UpstreamDiscovery(
      Upstream.builder("api").discover(source).connectTimeout(Duration.ofSeconds(3)).build(),
      applied::add, noHost::set, now::get);

  private static final Host A = Host.of("10.0.0.1", 80);
  private static final Host B = Host.of("10.0.0.2", 80);

  @Test
  void aPublishedSetBecomesTheUpstreamsHostsWithWeightsAndItsSettings() {
    discovery.start(true);

    sink.get().publish(List.of(new DiscoveredHost(A, 30, "a.example"), new DiscoveredHost(B, 1, null)));

    Upstream running = applied.get(0);
    assertThat(running.hosts()).containsExactly(A, B);
    assertThat(running.weight(A)).isEqualTo(30);
    assertThat(running.weight(B)).isEqualTo(1);
    assertThat(running.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(running.hostSource()).isEmpty();
    assertThat(discovery.origin(A)).contains("a.example");
    assertThat(discovery.origin(B)).isEmpty();
    assertThat(noHost.get()).isNull();
  }

  @Test
  void aHostPublishedTwiceIsTakenOnceWithItsFirstWeight() {
    discovery.start(true);

    sink.get().publish(List.of(new DiscoveredHost(A, 5, "x"), new DiscoveredHost(A, 9, "y")));

    assertThat(applied.get(0).hosts()).containsExactly(A);
    assertThat(applied.get(0).weight(A)).isEqualTo(5);
    assertThat(discovery.origin(A)).contains("x");
  }

  @Test
  void anUnchangedSetIsNotAppliedAgainButMakesTheSetYounger() {
    discovery.start(true);
    sink.get().publish(List.of(DiscoveredHost.of(A)));
    now.addAndGet(Duration.ofSeconds(30).toNanos());
    assertThat(discovery.status().setAge()).contains(Duration.ofSeconds(30));

    sink.get().publish(List.of(DiscoveredHost.of(A)));

    assertThat(applied).hasSize(1);
    assertThat(discovery.status().setAge()).contains(Duration.ZERO);
  }

  @Test
  void beforeAFirstSetTheNoHostDetailSaysWhy() {
    discovery.start(true);
    assertThat(noHost.get()).contains("the first lookup of").contains("has not answered");

    sink.get().failed(Failure.NOT_FOUND, "A api.example: NXDOMAIN from 10.0.0.53:53");

    assertThat(noHost.get())
        .isEqualTo("no host of upstream api is known: its lookup failed: A api.example: NXDOMAIN from 10.0.0.53:53");
    assertThat(applied).isEmpty();
  }

  @Test
  void failuresKeepTheSetWarnOncePerOutageAndAreCountedByKind() {
    discovery.start(true);
    sink.get().publish(List.of(DiscoveredHost.of(A)));

    try (LogCapture log = LogCapture.start()) {
      sink.get().failed(Failure.TIMEOUT, "first");
      sink.get().failed(Failure.TIMEOUT, "second");
      sink.get().failed(Failure.SERVER_FAILURE, "third");
      sink.get().publish(List.of(DiscoveredHost.of(A)));
      sink.get().failed(Failure.TIMEOUT, "fourth");

      assertThat(log.lines("WARN", "upstream api keeps its 1 host(s)")).isEqualTo(2);
      assertThat(log.lines("INFO", "answers again", "began with: first")).isEqualTo(1);
    }
    assertThat(applied).hasSize(1);
    assertThat(discovery.status().failures(Failure.TIMEOUT)).isEqualTo(3);
    assertThat(discovery.status().failures(Failure.SERVER_FAILURE)).isEqualTo(1);
    assertThat(discovery.status().failures(Failure.EMPTY)).isZero();
    assertThat(discovery.status().outage()).contains("fourth");
    assertThat(noHost.get()).isNull();
  }

  @Test
  void callsAfterCloseAreIgnored() {
    discovery.start(true);
    discovery.close();

    sink.get().publish(List.of(DiscoveredHost.of(A)));

    assertThat(applied).isEmpty();
  }

  @Test
  void aSourceThatThrowsOnStartIsAFailureNotACrash() {
    UpstreamDiscovery broken = new UpstreamDiscovery(
        Upstream.builder("api").discover((u, s) -> {
          throw new IllegalStateException("registry unreachable");
        }).build(),
        applied::add, noHost::set, now::get);

    broken.start(true);

    assertThat(broken.status().failures(Failure.ERROR)).isEqualTo(1);
    assertThat(noHost.get()).contains("registry unreachable");
  }
}
