package io.lb4j.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lb4j.api.CloseReason;
import io.lb4j.api.RefusalReason;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.CheckedStreams;
import io.lb4j.bench.soak.MalformedProxy;
import io.lb4j.bench.soak.MalformedTls;
import io.lb4j.bench.soak.Resources;
import io.lb4j.bench.soak.Seeds;
import io.lb4j.bench.soak.StreamResult;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.testkit.junit.Closer;
import io.lb4j.testkit.netty.NettyLeakDetector;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.lb4j.tls.TlsEngine;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.opentest4j.TestAbortedException;

/**
 * Malformed TLS sent to lb4j's mutual-TLS listener, on both engines: thousands of generated cases
 * (random bytes, garbage records, oversized lengths, truncated, bit-flipped and mutated real
 * ClientHellos; see {@link MalformedTls}) and real handshakes whose second flight is damaged. Each
 * connection must be closed by lb4j (never left hanging), refused as a failed handshake, with
 * nothing reaching the upstream; afterwards nothing is held, no buffer leaked, and a good client
 * is served.
 *
 * <p>The cases come from one seed, new each run unless given. It is printed in the figures, and
 * every failure of a test method carries it at the head of its message ({@code fuzz seed N:
 * replay with -Dlb4j.fuzz.seed=N}), so a red run can be replayed:
 * {@code ./mvnw -pl lb-bench -am verify -Dit.test=TlsFuzzIT -Dlb4j.fuzz.seed=N}. The older name
 * {@code -Dlb4j.reliability.seed=N} is read too when {@code lb4j.fuzz.seed} is not set.
 */
@ExtendWith(NettyLeakDetector.class)
class TlsFuzzIT {

  @RegisterExtension static final NettyLeakDetector LEAKS = new NettyLeakDetector();

  // Short, since many cases wait for it; long enough for the good client's JDK handshake on a
  // loaded machine.
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(3);
  // Far past the handshake timeout: a case still open this long was left hanging by lb4j.
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(20);
  private static final long SEED = Long.getLong("lb4j.fuzz.seed",
      Long.getLong("lb4j.reliability.seed", System.nanoTime()));

  /** Puts the seed at the head of every failure of a test method, so the run can be replayed. */
  @RegisterExtension
  static final TestExecutionExceptionHandler SEED_IN_FAILURES = (context, failure) -> {
    if (failure instanceof TestAbortedException) {
      throw failure; // a skip names its own reason
    }
    throw new AssertionError("fuzz seed " + SEED + ": replay with -Dlb4j.fuzz.seed=" + SEED
        + "; " + failure, failure);
  };

  @TempDir Path dir;
  private MutualTls mtls;
  private PemTlsContextFactory factory;
  private EchoUpstream echo;
  private LoadBalancer lb;
  private final Events events = new Events();
  @RegisterExtension final Closer closer = new Closer();

  private InetSocketAddress start(TlsEngine engine) {
    return start(engine, false);
  }

  /** Starts lb4j; with {@code acceptProxy} its listener reads a PROXY header before TLS. */
  private InetSocketAddress start(TlsEngine engine, boolean acceptProxy) {
    mtls = new MutualTls(dir);
    factory = closer.track(mtls.factory(engine));
    echo = closer.track(Upstreams.echo());
    LoadBalancer.Builder b = LoadBalancer.builder()
        .upstream(Upstream.builder("api").hosts(List.of(echo.host())).build(),
            new InetSocketAddress("127.0.0.1", 0))
        .tls(factory)
        .handshakeTimeout(HANDSHAKE_TIMEOUT)
        .listener(events);
    if (acceptProxy) {
      b.acceptProxy("api");
    }
    lb = closer.track(b.build().start());
    return lb.boundAddress("api");
  }

  private void assertGoodClientServed(InetSocketAddress address) throws IOException {
    try (SSLSocket socket = MutualTls.open(mtls.trusted(), address, READ_TIMEOUT)) {
      StreamResult r = CheckedStreams.echo(socket, 256 * 1024, 16 * 1024);
      assertThat(r.outcome()).as("a good client: %s", r).isEqualTo(Outcome.COMPLETED);
    }
  }

  /** The most frequent refusal details, shortened: which checks the cases ran into. */
  private String commonDetails() {
    Map<String, Long> counts = new java.util.TreeMap<>();
    for (var refusal : events.refusals) {
      String d = refusal.detail().replaceAll("error:[0-9a-f]+:", "").replaceAll("\\d+", "N");
      counts.merge(d.length() > 70 ? d.substring(0, 70) : d, 1L, Long::sum);
    }
    return counts.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(6)
        .map(e -> e.getValue() + "x \"" + e.getKey() + "\"")
        .collect(java.util.stream.Collectors.joining(", ")) + (counts.size() > 6 ? ", " + (counts.size() - 6) + " more kinds" : "");
  }

  /** How lb4j ended a case's connection, as the client saw it. */
  private enum Ended { CLOSED_AFTER_ANSWERING, CLOSED_SILENTLY, RESET, CLIENT_RESET }

  /** Reads until lb4j closes; fails the test, naming the case, if it never does. */
  private static Ended readUntilClosed(Socket socket, Object what) throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[4096];
    long answered = 0;
    try {
      int n;
      while ((n = in.read(buf)) >= 0) {
        answered += n;
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("lb4j left " + what + " open for " + READ_TIMEOUT
          + " (handshake timeout " + HANDSHAKE_TIMEOUT + ")", e);
    } catch (IOException reset) {
      return Ended.RESET;
    }
    return answered > 0 ? Ended.CLOSED_AFTER_ANSWERING : Ended.CLOSED_SILENTLY;
  }

  private static Ended play(InetSocketAddress address, MalformedTls.Case c) throws IOException {
    return play(address, c.bytes(), c.ending(), c);
  }

  private static Ended play(
      InetSocketAddress address, byte[] bytes, MalformedTls.Ending ending, Object what)
      throws IOException {
    try (Socket socket = PlainSockets.open(address, READ_TIMEOUT)) {
      try {
        socket.getOutputStream().write(bytes);
        if (ending == MalformedTls.Ending.FIN) {
          socket.shutdownOutput();
        }
      } catch (IOException closedWhileWriting) {
        // lb4j may close as soon as it has seen enough: that is how it refuses.
      }
      if (ending == MalformedTls.Ending.RESET) {
        socket.setSoLinger(true, 0);
        return Ended.CLIENT_RESET;
      }
      return readUntilClosed(socket, what);
    }
  }

  private void assertEveryConnectionRefusedAndReleased(int connections, int baselineFds) {
    assertEveryConnectionRefusedAndReleased(connections, baselineFds, RefusalReason.TLS_FAILED);
  }

  private void assertEveryConnectionRefusedAndReleased(
      int connections, int baselineFds, RefusalReason reason) {
    await().atMost(Duration.ofSeconds(60))
        .until(() -> events.accepted.get() == connections && events.closedCount() == connections);
    assertThat(events.reasons()).as("close reasons").containsOnlyKeys(CloseReason.REFUSED);
    assertThat(events.refusalReasons()).as("refusal reasons").containsOnlyKeys(reason);
    assertThat(echo.acceptedConnections()).as("connections that reached the upstream").isZero();
    Quiet.assertNothingHeld(lb, "api");
    await("open descriptors back to " + baselineFds).atMost(Duration.ofSeconds(30))
        .until(() -> Resources.openDescriptors() <= baselineFds);
    LEAKS.assertNoLeaks();
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void malformedTlsInputIsRefusedAndClosedWithoutLeaks(TlsEngine engine) throws Exception {
    InetSocketAddress address = start(engine);
    MalformedTls cases = new MalformedTls(SEED);
    int count = Scale.of(2500);
    int baselineFds = Resources.openDescriptors();

    Map<MalformedTls.Family, LongAdder> families = new EnumMap<>(MalformedTls.Family.class);
    Map<Ended, LongAdder> endings = new EnumMap<>(Ended.class);
    for (MalformedTls.Family f : MalformedTls.Family.values()) {
      families.put(f, new LongAdder());
    }
    for (Ended e : Ended.values()) {
      endings.put(e, new LongAdder());
    }
    long start = System.nanoTime();
    // Many threads: a case that waits for the handshake timeout only sleeps.
    try (Parallel threads = Parallel.threads(32, "fuzz")) {
      List<Future<Void>> futures = threads.submitAll(count, i -> () -> {
        MalformedTls.Case c = cases.get(i);
        families.get(c.family()).increment();
        endings.get(play(address, c)).increment();
        return null;
      });
      Parallel.results(futures, Scale.time(Duration.ofMinutes(4)));
    }
    long elapsed = System.nanoTime() - start;

    assertEveryConnectionRefusedAndReleased(count, baselineFds);
    // Not one of them crashed or wedged anything: a good client is served afterwards.
    assertGoodClientServed(address);
    Figures.record("malformed TLS records (" + engine + ")",
        "%d cases of seed %d in %.1f s, all refused TLS_FAILED and closed, 0 leaks; families %s;"
            + " endings %s; lb4j's reasons: %s", count, SEED, elapsed / 1e9, families, endings,
        commonDetails());
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void handshakesWithADamagedSecondFlightAreRefused(TlsEngine engine) throws Exception {
    InetSocketAddress address = start(engine);
    int count = Scale.of(200);
    int baselineFds = Resources.openDescriptors();

    List<String> damages;
    // Sixteen at once: the cases cut short wait out the handshake timeout, doing nothing.
    try (Parallel threads = Parallel.threads(16, "flight")) {
      List<Future<String>> futures = threads.submitAll(count, i -> () -> {
        Random random = Seeds.random(SEED, i);
        String protocol = i % 2 == 0 ? "TLSv1.2" : "TLSv1.3";
        try (Socket socket = PlainSockets.open(address, READ_TIMEOUT)) {
          String damage = SecondFlight.sendDamaged(mtls.trusted(), protocol, socket, random);
          readUntilClosed(socket, "case " + i + " of seed " + SEED + ": " + damage);
          return damage;
        }
      });
      damages = Parallel.results(futures, Scale.time(Duration.ofMinutes(4)));
    }
    assertThat(damages).as("every client reached its second flight")
        .allSatisfy(d -> assertThat(d).contains("second flight"));

    assertEveryConnectionRefusedAndReleased(count, baselineFds);
    assertGoodClientServed(address);
    long cut = damages.stream().filter(d -> d.endsWith("cut short")).count();
    Figures.record("damaged second flights (" + engine + ")",
        "%d real handshakes (TLS 1.2 and 1.3) with the client's second flight damaged (%d with"
            + " bits flipped, %d cut short), seed %d: all refused TLS_FAILED and closed, 0 leaks;"
            + " lb4j's reasons: %s", count, count - cut, cut, SEED, commonDetails());
  }

  @ParameterizedTest
  @EnumSource(value = TlsEngine.class, names = {"OPENSSL", "JDK"})
  void malformedProxyHeadersAreRefusedAndClosedWithoutLeaks(TlsEngine engine) throws Exception {
    InetSocketAddress address = start(engine, true);
    MalformedProxy cases = new MalformedProxy(SEED);
    int count = Scale.of(600);
    int baselineFds = Resources.openDescriptors();

    Map<MalformedProxy.Family, LongAdder> families = new EnumMap<>(MalformedProxy.Family.class);
    for (MalformedProxy.Family f : MalformedProxy.Family.values()) {
      families.put(f, new LongAdder());
    }
    long start = System.nanoTime();
    // Many threads: the dribbled cases wait out the handshake timeout, doing nothing.
    try (Parallel threads = Parallel.threads(32, "proxy-fuzz")) {
      List<Future<Void>> futures = threads.submitAll(count, i -> () -> {
        MalformedProxy.Case c = cases.get(i);
        families.get(c.family()).increment();
        play(address, c.bytes(), c.ending(), c);
        return null;
      });
      Parallel.results(futures, Scale.time(Duration.ofMinutes(4)));
    }
    long elapsed = System.nanoTime() - start;

    assertEveryConnectionRefusedAndReleased(count, baselineFds, RefusalReason.PROTOCOL);
    // Every refusal names the peer as it connected: no header was believed.
    assertThat(events.closedEvents())
        .allSatisfy(e -> assertThat(e.connection().clientAddress().getAddress().getHostAddress())
            .isEqualTo("127.0.0.1"));
    Figures.record("malformed PROXY headers (" + engine + ")",
        "%d cases of seed %d in %.1f s, all refused PROTOCOL and closed, 0 leaks; families %s;"
            + " lb4j's reasons: %s", count, SEED, elapsed / 1e9, families, commonDetails());
  }
}
