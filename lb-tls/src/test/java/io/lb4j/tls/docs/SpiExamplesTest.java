package io.lb4j.tls.docs;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.Authorizer;
import io.lb4j.api.BalancingStrategy;
import io.lb4j.api.ClientIdentity;
import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.ConnectionInfo;
import io.lb4j.api.ConnectionListener;
import io.lb4j.api.Decision;
import io.lb4j.api.ProxyProtocol;
import io.lb4j.api.ProxyTlvSource;
import io.lb4j.api.RateLimiter;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Refuse;
import io.lb4j.api.TlsContextFactory;
import io.lb4j.api.Upstream;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.authorization.AllowList;
import io.lb4j.tls.ProxyHeaderHost;
import io.lb4j.testkit.pki.ClientSpec;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The examples of docs/spi.md, one per SPI, each run through a real {@link LoadBalancer}. */
class SpiExamplesTest {

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  // --- spi BalancingStrategy example starts
  /** Active/standby: the first host in configuration order that may take connections. */
  static final BalancingStrategy PRIMARY_FIRST = (candidates, connection) -> 0;
  // --- spi BalancingStrategy example ends

  @Test
  void primaryFirstSendsEverythingToFirstHostUntilItIsDown() throws IOException {
    EchoUpstream primary = closeLater(Upstreams.echo());
    EchoUpstream standby = closeLater(Upstreams.echo());
    Upstream api = Upstream.builder("api")
        .hosts(List.of(primary.host(), standby.host()))
        .strategy(PRIMARY_FIRST)
        .build();
    LoadBalancer lb = closeLater(plain(api).build().start());

    for (int i = 0; i < 3; i++) {
      assertThat(echoPlain(lb)).isEqualTo("ping");
    }
    assertThat(primary.acceptedConnections()).isEqualTo(3);
    assertThat(standby.acceptedConnections()).isZero();

    primary.stop();
    // The failed connect marks the primary down; lb4j retries on the standby.
    assertThat(echoPlain(lb)).isEqualTo("ping");
    assertThat(echoPlain(lb)).isEqualTo("ping");
    assertThat(standby.acceptedConnections()).isEqualTo(2);
  }

  // --- spi Authorizer example starts
  /** Admits a client to an upstream when the client's certificate has an OU of the same name. */
  static final Authorizer GROUP_PER_UPSTREAM = (identity, upstream) ->
      identity.groups().contains(upstream)
          ? Decision.admit()
          : Decision.refuse(RefusalReason.UNAUTHORIZED,
              identity.displayName() + " is not in group " + upstream);
  // --- spi Authorizer example ends

  @Test
  void groupPerUpstreamAdmitsMembersAndCanBeSwappedWhileRunning() throws Exception {
    TestPki pki = TestPki.create();
    IssuedCertificate alice = pki.client(ClientSpec.commonName("alice").groups("api").build());
    IssuedCertificate bob = pki.client(ClientSpec.commonName("bob").groups("web").build());
    EchoUpstream echo = closeLater(Upstreams.echo());
    Map<String, String> refusals = new ConcurrentHashMap<>();
    LoadBalancer lb = closeLater(plain(Upstream.builder("api").hosts(List.of(echo.host())).build())
        .tls(jdkTls(pki))
        .authorizer(GROUP_PER_UPSTREAM)
        .listener(new ConnectionListener() {
          @Override
          public void onRefused(ConnectionInfo c, Refuse r) {
            refusals.put(c.identity().commonName(), r.reason() + " " + r.detail());
          }
        })
        .build().start());

    assertThat(echoTls(lb, pki, alice)).isEqualTo("ping");
    assertThat(echoTls(lb, pki, bob)).isEmpty();
    await().until(() -> refusals.containsKey("bob"));
    assertThat(refusals.get("bob")).isEqualTo("UNAUTHORIZED bob is not in group api");

    // --- spi swap example starts
    lb.authorizer(AllowList.builder().allow("api", "bob").build());
    // --- spi swap example ends
    assertThat(echoTls(lb, pki, bob)).isEqualTo("ping");
  }

  // --- spi RateLimiter example starts
  /** At most {@code max} connections open at once to each upstream, whoever the clients are. */
  static final class UpstreamCap implements RateLimiter {
    private final int max;
    private final Map<String, AtomicInteger> open = new ConcurrentHashMap<>();

    UpstreamCap(int max) {
      this.max = max;
    }

    @Override
    public CompletionStage<Decision> acquire(ClientIdentity identity, String upstream) {
      AtomicInteger count = open.computeIfAbsent(upstream, k -> new AtomicInteger());
      if (count.incrementAndGet() > max) {
        count.decrementAndGet(); // a refusal is never released: give the slot back now
        return CompletableFuture.completedStage(
            Decision.rateLimited(upstream + " has " + max + " connections open", Duration.ZERO));
      }
      return ADMITTED;
    }

    @Override
    public void release(ClientIdentity identity, String upstream) {
      open.get(upstream).decrementAndGet(); // once per admitted connection, when it closes
    }

    int open(String upstream) {
      AtomicInteger count = open.get(upstream);
      return count == null ? 0 : count.get();
    }
  }
  // --- spi RateLimiter example ends

  @Test
  void upstreamCapRefusesBeyondMaxAndGetsEverySlotBack() throws IOException {
    EchoUpstream echo = closeLater(Upstreams.echo());
    UpstreamCap cap = new UpstreamCap(2);
    LoadBalancer lb = closeLater(plain(Upstream.builder("api").hosts(List.of(echo.host())).build())
        .rateLimiter(cap)
        .build().start());

    try (Socket first = open(lb); Socket second = open(lb)) {
      assertThat(exchange(first)).isEqualTo("ping");
      assertThat(exchange(second)).isEqualTo("ping");
      assertThat(echoPlain(lb)).isEmpty();
      assertThat(cap.open("api")).isEqualTo(2);
    }

    await().until(() -> cap.open("api") == 0);
    assertThat(echoPlain(lb)).isEqualTo("ping");
    await().until(() -> cap.open("api") == 0);
  }

  // --- spi TlsContextFactory example starts
  /** TLS 1.3 from a JDK key store, client certificates verified against a trust store. */
  static final class KeyStoreTls implements TlsContextFactory {
    private final SSLContext context;

    KeyStoreTls(KeyStore serverKey, char[] password, KeyStore clientCas)
        throws GeneralSecurityException {
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(serverKey, password);
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(clientCas);
      context = SSLContext.getInstance("TLSv1.3");
      context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
    }

    @Override
    public SSLEngine newEngine() {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(true);
      engine.setEnabledProtocols(new String[] {"TLSv1.3"}); // no renegotiation in TLS 1.3
      return engine; // as the context made it: never wrapped
    }
  }
  // --- spi TlsContextFactory example ends

  @Test
  void keyStoreTlsForwardsTrustedClientAndRefusesOthers() throws Exception {
    TestPki pki = TestPki.create();
    IssuedCertificate alice = pki.client("alice");
    IssuedCertificate stranger = TestPki.create().client("stranger");
    EchoUpstream echo = closeLater(Upstreams.echo());
    CloseCounter counter = new CloseCounter();
    LoadBalancer lb = closeLater(plain(Upstream.builder("api").hosts(List.of(echo.host())).build())
        .tls(jdkTls(pki))
        .listener(counter)
        .build().start());

    assertThat(echoTls(lb, pki, alice)).isEqualTo("ping");
    assertThat(echoTls(lb, pki, stranger)).isEmpty();
    await().until(() -> counter.count(CloseReason.REFUSED) == 1);
    assertThat(echo.acceptedConnections()).isEqualTo(1);
  }

  // --- spi ConnectionListener example starts
  /** Counts connections by how they ended. */
  static final class CloseCounter implements ConnectionListener {
    final Map<CloseReason, LongAdder> counts = new EnumMap<>(CloseReason.class);

    CloseCounter() {
      for (CloseReason reason : CloseReason.values()) {
        counts.put(reason, new LongAdder()); // filled once: reads need no lock afterwards
      }
    }

    @Override
    public void onClosed(ConnectionEvent event) {
      counts.get(event.reason()).increment(); // exactly once per accepted connection
    }

    long count(CloseReason reason) {
      return counts.get(reason).sum();
    }
  }
  // --- spi ConnectionListener example ends

  @Test
  void closeCounterCountsEachConnectionOnce() throws IOException {
    EchoUpstream echo = closeLater(Upstreams.echo());
    CloseCounter counter = new CloseCounter();
    LoadBalancer lb = closeLater(plain(Upstream.builder("api").hosts(List.of(echo.host())).build())
        .rateLimiter(new UpstreamCap(1))
        .listener(counter)
        .build().start());

    try (Socket held = open(lb)) {
      assertThat(exchange(held)).isEqualTo("ping");
      assertThat(echoPlain(lb)).isEmpty(); // refused by the cap of 1
    }

    await().until(() -> counter.count(CloseReason.CLIENT_CLOSED) == 1);
    await().until(() -> counter.count(CloseReason.REFUSED) == 1);
    long total = counter.counts.values().stream().mapToLong(LongAdder::sum).sum();
    assertThat(total).isEqualTo(2);
  }

  // ---- helpers

  // --- spi ProxyTlvSource example starts
  /** Tells the hosts the client's team, the first of its groups, in embedder TLV 0xE8. */
  static final ProxyTlvSource TEAM = connection -> {
    List<String> groups = connection.identity().groups();
    return groups.isEmpty()
        ? List.of()
        : List.of(ProxyTlvSource.Tlv.of(0xE8, groups.get(0).getBytes(UTF_8)));
  };

  static Upstream withTeam(Upstream upstream) {
    return upstream.toBuilder().proxyProtocol(ProxyProtocol.v2().withExtraTlvs(TEAM)).build();
  }
  // --- spi ProxyTlvSource example ends

  @Test
  void teamTlvReachesTheHostInTheProxyHeader() throws Exception {
    TestPki pki = TestPki.create();
    IssuedCertificate alice = pki.client(ClientSpec.commonName("alice").groups("payments").build());
    ProxyHeaderHost host = closeLater(new ProxyHeaderHost("127.0.0.1"));
    LoadBalancer lb = closeLater(plain(withTeam(Upstream.builder("api").hosts(List.of(host.host())).build()))
        .tls(jdkTls(pki))
        .build().start());

    assertThat(echoTls(lb, pki, alice)).isEqualTo("ping");
    ProxyHeaderHost.Tlv team = host.next(Duration.ofSeconds(10)).tlv(0xE8);
    assertThat(new String(team.value(), UTF_8)).isEqualTo("payments");
  }

  private <T extends AutoCloseable> T closeLater(T resource) {
    toClose.add(resource);
    return resource;
  }

  private static LoadBalancer.Builder plain(Upstream upstream) {
    return LoadBalancer.builder()
        .upstream(upstream, new InetSocketAddress("127.0.0.1", 0))
        .ioThreads(1)
        .drainTimeout(Duration.ofSeconds(1));
  }

  private static KeyStoreTls jdkTls(TestPki pki) throws GeneralSecurityException {
    char[] password = "changeit".toCharArray();
    return new KeyStoreTls(
        pki.server("localhost", "127.0.0.1").toKeyStore(password), password, pki.trustStore());
  }

  private static Socket open(LoadBalancer lb) throws IOException {
    Socket socket = new Socket("127.0.0.1", lb.boundAddress("api").getPort());
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** Sends "ping" and returns what comes back before the connection ends (empty if refused). */
  private static String exchange(Socket socket) throws IOException {
    socket.getOutputStream().write("ping".getBytes(US_ASCII));
    try {
      return new String(socket.getInputStream().readNBytes(4), US_ASCII);
    } catch (IOException closedOnUs) {
      return "";
    }
  }

  private static String echoPlain(LoadBalancer lb) throws IOException {
    try (Socket socket = open(lb)) {
      return exchange(socket);
    }
  }

  private static String echoTls(LoadBalancer lb, TestPki pki, IssuedCertificate client)
      throws IOException {
    try (SSLSocket socket = (SSLSocket) pki.clientContext(client).getSocketFactory()
        .createSocket("127.0.0.1", lb.boundAddress("api").getPort())) {
      socket.setSoTimeout(10_000);
      return exchange(socket);
    } catch (IOException handshakeRefused) {
      return "";
    }
  }
}
