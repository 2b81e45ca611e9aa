package io.lb4j.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.lb4j.api.Authorizer;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.Decision;
import io.lb4j.api.Host;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.TlsContextFactory;
import io.lb4j.api.Upstream;
import io.lb4j.impl.pool.HostPool;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

/** Admission on its own: no Netty, no socket; the event loop is a queue the test drains. */
class AdmissionDecisionsTest {

  private static final ClientIdentity ALICE =
      new ClientIdentity("alice", List.of("ops"), List.of(), List.of(), "ab", Instant.MAX);

  private final HostPool api =
      new HostPool(Upstream.builder("api").hosts(List.of(Host.of("127.0.0.1", 7000))).build(), () -> 0);
  private final FakePolicy policy = new FakePolicy();
  private final FakeConnection connection = new FakeConnection();
  private final CountingLimiter limiter = new CountingLimiter();

  private Admission admission(String defaultUpstream) {
    policy.limiter = limiter;
    return new Admission(policy, new Route(defaultUpstream, Map.of()), connection);
  }

  @Test
  void admitsAnAllowedClientToItsUpstreamsPool() {
    admission("api").decide(ALICE, "api");

    assertThat(connection.identified).containsExactly("alice -> api");
    assertThat(connection.admittedTo).isSameAs(api);
    assertThat(connection.refusals).isEmpty();
    assertThat(limiter.acquired).isEqualTo(1);
  }

  @Test
  void admitsAClearTextClientAsAnonymousOnTheListenersUpstream() {
    admission("api").admitWithoutTls();

    assertThat(connection.identified).containsExactly(" -> api");
    assertThat(connection.admittedTo).isSameAs(api);
  }

  @Test
  void refusesAnUnknownUpstreamWithNoRouteBeforeAskingThePolicy() {
    policy.authorizer = (identity, upstream) -> {
      throw new AssertionError("authorizer asked");
    };

    admission("api").decide(ALICE, "billing");

    assertThat(connection.refusals).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefusalReason.NO_ROUTE))
        .satisfies(r -> assertThat(r.detail()).isEqualTo("no upstream named 'billing'"));
    assertThat(limiter.acquired).isZero();
  }

  @Test
  void refusesWhatTheAuthorizerRefusesWithoutTakingALimiterSlot() {
    Refuse no = Decision.refuse(RefusalReason.UNAUTHORIZED, "alice may not reach api");
    policy.authorizer = (identity, upstream) -> no;

    admission("api").decide(ALICE, "api");

    assertThat(connection.refusals).containsExactly(no);
    assertThat(limiter.acquired).isZero();
  }

  @Test
  void refusesAsUnauthorizedWhenTheAuthorizerThrows() {
    policy.authorizer = (identity, upstream) -> {
      throw new IllegalStateException("rules unreadable");
    };

    admission("api").decide(ALICE, "api");

    assertThat(connection.refusals).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefusalReason.UNAUTHORIZED))
        .satisfies(r -> assertThat(r.detail()).isEqualTo("authorizer failed: rules unreadable"));
  }

  @Test
  void refusesAsRateLimitedWhenTheLimiterThrowsOrFails() {
    limiter.next = null; // acquire throws
    admission("api").decide(ALICE, "api");
    limiter.next = CompletableFuture.failedFuture(new IllegalStateException("store down"));
    admission("api").decide(ALICE, "api");

    assertThat(connection.refusals).hasSize(2).allSatisfy(r -> {
      assertThat(r.reason()).isEqualTo(RefusalReason.RATE_LIMITED);
      assertThat(r.detail()).startsWith("rate limiter failed: ");
    });
    assertThat(limiter.released).isZero();
  }

  @Test
  void passesTheLimitersOwnRefusalOn() {
    Refuse slowDown = Decision.rateLimited("3 per second", Duration.ofMillis(300));
    limiter.next = CompletableFuture.completedFuture(slowDown);

    admission("api").decide(ALICE, "api");

    assertThat(connection.refusals).containsExactly(slowDown);
  }

  @Test
  void givesTheSlotBackOnceWhenTheConnectionEnds() {
    Admission admission = admission("api");
    admission.decide(ALICE, "api");

    admission.end();
    admission.end();

    assertThat(limiter.released).isEqualTo(1);
    assertThat(limiter.releasedFor).containsExactly("alice -> api");
  }

  @Test
  void takesNoSlotBackFromAConnectionThatWasRefused() {
    policy.authorizer = (identity, upstream) -> Decision.refuse(RefusalReason.UNAUTHORIZED, "no");
    Admission admission = admission("api");
    admission.decide(ALICE, "api");

    admission.end();

    assertThat(limiter.released).isZero();
  }

  @Test
  void appliesAnAnswerFromAnotherThreadOnTheConnectionsLoop() {
    CompletableFuture<Decision> later = new CompletableFuture<>();
    limiter.next = later;
    admission("api").decide(ALICE, "api");
    connection.onLoop = false;

    later.complete(Decision.admit());

    assertThat(connection.admittedTo).isNull();
    connection.runLoop();
    assertThat(connection.admittedTo).isSameAs(api);
  }

  @Test
  void givesALateGrantBackWhenTheConnectionEndedWhileTheLimiterDecided() {
    CompletableFuture<Decision> later = new CompletableFuture<>();
    limiter.next = later;
    Admission admission = admission("api");
    admission.decide(ALICE, "api");

    admission.end();
    later.complete(Decision.admit());

    assertThat(connection.admittedTo).isNull();
    assertThat(connection.refusals).isEmpty();
    assertThat(limiter.released).isEqualTo(1);
  }

  @Test
  void givesALateGrantBackWhenTheEventLoopHasStopped() {
    CompletableFuture<Decision> later = new CompletableFuture<>();
    limiter.next = later;
    admission("api").decide(ALICE, "api");
    connection.onLoop = false;
    connection.loopStopped = true;

    later.complete(Decision.admit());

    assertThat(connection.admittedTo).isNull();
    assertThat(limiter.released).isEqualTo(1);
    assertThat(limiter.releasedFor).containsExactly("alice -> api");
  }

  @Test
  void givesNothingBackForALateRefusalWhenTheEventLoopHasStopped() {
    CompletableFuture<Decision> later = new CompletableFuture<>();
    limiter.next = later;
    admission("api").decide(ALICE, "api");
    connection.onLoop = false;
    connection.loopStopped = true;

    later.complete(Decision.rateLimited("full", Duration.ZERO));

    assertThat(limiter.released).isZero();
  }

  @Test
  void takesTheIdentityFromTheTlsFactoryAfterTheHandshake() {
    policy.tls = new FakeTls(ALICE);

    admission("api").afterHandshake(null);

    assertThat(connection.identified).containsExactly("alice -> api");
    assertThat(connection.admittedTo).isSameAs(api);
  }

  @Test
  void refusesAClientWithoutAVerifiedCertificateAsTlsFailed() {
    policy.tls = new FakeTls(null);

    admission("api").afterHandshake(null);

    assertThat(connection.refusals).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefusalReason.TLS_FAILED))
        .satisfies(r -> assertThat(r.detail())
            .isEqualTo("no verified client certificate: no certificate"));
    assertThat(connection.causes).singleElement().isInstanceOf(SSLPeerUnverifiedException.class);
  }

  @Test
  void appliesAnIdentityCheckedLaterOnTheConnectionsLoop() {
    CompletableFuture<ClientIdentity> later = new CompletableFuture<>();
    policy.tls = new LaterTls(later);
    admission("api").afterHandshake(null);
    connection.onLoop = false;

    later.complete(ALICE);

    assertThat(connection.identified).isEmpty();
    connection.runLoop();
    assertThat(connection.identified).containsExactly("alice -> api");
    assertThat(connection.admittedTo).isSameAs(api);
  }

  @Test
  void refusesAsTlsFailedWhenTheLaterCheckFails() {
    CompletableFuture<ClientIdentity> later = new CompletableFuture<>();
    policy.tls = new LaterTls(later);
    admission("api").afterHandshake(null);

    later.completeExceptionally(new SSLPeerUnverifiedException("certificate revoked (OCSP)"));

    assertThat(connection.refusals).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefusalReason.TLS_FAILED))
        .satisfies(r -> assertThat(r.detail())
            .isEqualTo("no verified client certificate: certificate revoked (OCSP)"));
    assertThat(limiter.acquired).isZero();
  }

  @Test
  void dropsAnIdentityThatArrivesAfterTheConnectionEnded() {
    CompletableFuture<ClientIdentity> later = new CompletableFuture<>();
    policy.tls = new LaterTls(later);
    Admission admission = admission("api");
    admission.afterHandshake(null);

    admission.end();
    later.complete(ALICE);

    assertThat(connection.identified).isEmpty();
    assertThat(connection.admittedTo).isNull();
    assertThat(connection.refusals).isEmpty();
    assertThat(limiter.acquired).isZero();
  }

  @Test
  void dropsAnIdentityThatArrivesAfterTheEventLoopStopped() {
    CompletableFuture<ClientIdentity> later = new CompletableFuture<>();
    policy.tls = new LaterTls(later);
    admission("api").afterHandshake(null);
    connection.onLoop = false;
    connection.loopStopped = true;

    later.complete(ALICE);

    assertThat(connection.identified).isEmpty();
    assertThat(limiter.acquired).isZero();
  }

  @Test
  void refusesAClientWithNoRouteWhenTheListenerHasNoUpstreamForItsServerName() {
    policy.tls = new FakeTls(ALICE);

    new Admission(policy, new Route(null, Map.of("api.test", "api")), connection)
        .afterHandshake(null);

    assertThat(connection.identified).containsExactly("alice -> ");
    assertThat(connection.refusals).singleElement()
        .satisfies(r -> assertThat(r.reason()).isEqualTo(RefusalReason.NO_ROUTE))
        .satisfies(r -> assertThat(r.detail()).isEqualTo("no upstream for server name 'null'"));
  }

  private final class FakePolicy implements Admission.Policy {
    TlsContextFactory tls;
    Authorizer authorizer = Authorizer.allowAll();
    RateLimiter limiter;

    @Override
    public TlsContextFactory tls() {
      return tls;
    }

    @Override
    public Authorizer authorizer() {
      return authorizer;
    }

    @Override
    public RateLimiter rateLimiter() {
      return limiter;
    }

    @Override
    public HostPool pool(String upstream) {
      return upstream.equals("api") ? api : null;
    }
  }

  private static final class FakeConnection implements Admission.Connection {
    final List<String> identified = new ArrayList<>();
    final List<Refuse> refusals = new ArrayList<>();
    final List<Throwable> causes = new ArrayList<>();
    final ArrayDeque<Runnable> loop = new ArrayDeque<>();
    HostPool admittedTo;
    boolean onLoop = true;
    boolean loopStopped;

    @Override
    public ConnectionInfo info() {
      return new ConnectionInfo(
          1,
          InetSocketAddress.createUnresolved("client.test", 40000),
          InetSocketAddress.createUnresolved("lb.test", 8443),
          "api",
          ClientIdentity.ANONYMOUS);
    }

    @Override
    public boolean inLoop() {
      return onLoop;
    }

    @Override
    public void onLoop(Runnable task) {
      if (loopStopped) {
        throw new RejectedExecutionException("event loop terminated");
      }
      loop.add(task);
    }

    void runLoop() {
      onLoop = true;
      Runnable task;
      while ((task = loop.poll()) != null) {
        task.run();
      }
    }

    @Override
    public void identified(ClientIdentity identity, String upstream) {
      identified.add(identity.commonName() + " -> " + upstream);
    }

    @Override
    public void admitted(HostPool pool) {
      admittedTo = pool;
    }

    @Override
    public void refused(Refuse refusal, Throwable cause) {
      refusals.add(refusal);
      if (cause != null) {
        causes.add(cause);
      }
    }
  }

  /** Admits unless told otherwise; {@code next = null} makes acquire throw. */
  private static final class CountingLimiter implements RateLimiter {
    CompletionStage<Decision> next = RateLimiter.ADMITTED;
    int acquired;
    int released;
    final List<String> releasedFor = new ArrayList<>();

    @Override
    public CompletionStage<Decision> acquire(ClientIdentity identity, String upstream) {
      acquired++;
      if (next == null) {
        throw new IllegalStateException("limiter broken");
      }
      return next;
    }

    @Override
    public void release(ClientIdentity identity, String upstream) {
      released++;
      releasedFor.add(identity.commonName() + " -> " + upstream);
    }
  }

  /** Answers every session's identity with {@code answer}, whenever that completes. */
  private record LaterTls(CompletableFuture<ClientIdentity> answer) implements TlsContextFactory {
    @Override
    public SSLEngine newEngine() {
      throw new UnsupportedOperationException("no engines in this test");
    }

    @Override
    public CompletionStage<ClientIdentity> identifyAsync(SSLSession session) {
      return answer;
    }
  }

  /** Identifies every session as the given client, or refuses when it is null. */
  private record FakeTls(ClientIdentity identity) implements TlsContextFactory {
    @Override
    public SSLEngine newEngine() {
      throw new UnsupportedOperationException("no engines in this test");
    }

    @Override
    public ClientIdentity identify(SSLSession session) throws SSLPeerUnverifiedException {
      if (identity == null) {
        throw new SSLPeerUnverifiedException("no certificate");
      }
      return identity;
    }
  }
}
