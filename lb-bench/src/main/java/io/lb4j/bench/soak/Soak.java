package io.lb4j.bench.soak;

import io.lb4j.api.CloseReason;
import io.lb4j.api.ConnectionEvent;
import io.lb4j.api.HealthCheck;
import io.lb4j.api.Host;
import io.lb4j.api.Upstream;
import io.lb4j.bench.soak.StreamResult.Outcome;
import io.lb4j.impl.LoadBalancer;
import io.lb4j.impl.balancing.HostStatus;
import io.lb4j.testkit.data.Folders;
import io.lb4j.testkit.pki.IssuedCertificate;
import io.lb4j.testkit.pki.PemFiles;
import io.lb4j.testkit.pki.TestPki;
import io.lb4j.testkit.upstream.EchoUpstream;
import io.lb4j.testkit.upstream.SourceUpstream;
import io.lb4j.testkit.upstream.TestUpstream;
import io.lb4j.testkit.upstream.Upstreams;
import io.lb4j.tls.PemTlsContextFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A soak run: lb4j with mutual TLS in front of echo and source hosts, client threads sending a
 * mix of checked streams, hostile and untrusted connections, and faults injected on a schedule
 * (hosts killed and restarted, a resetting and a hung host joining and leaving the host list,
 * certificate reloads, floods of failing handshakes). Every byte a client receives is checked
 * against {@link io.lb4j.testkit.data.TestData}; every stream that ends early must be explained by
 * an injected fault, as lb4j's own close event tells.
 *
 * <pre>{@code
 * SoakReport report = Soak.run(SoakConfig.defaults().withDuration(Duration.ofMinutes(5)));
 * System.out.print(report.toText());
 * }</pre>
 *
 * <p>Everything runs on loopback in this JVM; the run cleans up after itself.
 */
public final class Soak {

  private static final Logger log = LoggerFactory.getLogger(Soak.class);

  private static final int CHUNK = 16 * 1024;
  private static final int DOWNLOAD_BYTES = 256 * 1024;
  private static final int RESET_AFTER = 8 * 1024;
  private static final int FLOOD = 50;
  private static final int MAX_ERRORS_KEPT = 20;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration EVENT_WAIT = Duration.ofSeconds(10);
  private static final byte[] PROBE = {1, 2, 3, 4};

  /** The kinds of client action and their weights in the mix. */
  private enum Action {
    ECHO(55), DOWNLOAD(18), CLIENT_RESET(6), UNTRUSTED(8), MALFORMED(11), SILENT(2);

    final int weight;

    Action(int weight) {
      this.weight = weight;
    }
  }

  /** The faults, injected in this order, round and round. */
  private enum Fault {
    STOP_HOST, RESTART_HOST, ADD_RESETTING_HOST, REMOVE_RESETTING_HOST, ADD_HUNG_HOST,
    REMOVE_HUNG_HOST, RELOAD_CERTIFICATE, HANDSHAKE_FLOOD
  }

  private final SoakConfig config;
  private final Duration readTimeout;
  private final Path dir;
  private final TestPki pki;
  private final SSLContext trusted;
  private final SSLContext untrusted;
  private final PemTlsContextFactory tls;
  private final List<EchoUpstream> echoes = new ArrayList<>();
  // Per echo host: how often it was stopped or restarted. A stream whose host's count moved while
  // it ran, or whose host is down now, may be cut by that.
  private final AtomicInteger[] stops;
  private final boolean[] down;
  private final TestUpstream resetting;
  private final TestUpstream hung;
  private final SourceUpstream source;
  private final Upstream echoUpstream;
  private final SoakEvents events = new SoakEvents();
  private final LoadBalancer lb;
  private final InetSocketAddress echoAddress;
  private final InetSocketAddress downloadAddress;
  private final MalformedTls malformed;
  private final AtomicInteger malformedIndex = new AtomicInteger();

  // Tallies, from every client thread.
  private final Map<String, LongAdder> actions = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> faults = new ConcurrentHashMap<>();
  private final LongAdder completed = new LongAdder();
  private final LongAdder cutByFaults = new LongAdder();
  private final LongAdder bytesSentCompleted = new LongAdder();
  private final LongAdder bytesVerifiedCompleted = new LongAdder();
  private final LongAdder bytesVerified = new LongAdder();
  private final LongAdder refusalsExpected = new LongAdder();
  private final AtomicLong errorCount = new AtomicLong();
  private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
  private final LongAdder leaks = new LongAdder();

  // Fault state, touched by the fault thread only (and the final heal).
  private int faultStep;
  private int stopped = -1;
  private boolean resettingListed;
  private boolean hungListed;

  private Soak(SoakConfig config) throws IOException {
    this.config = config;
    this.readTimeout =
        (config.idleTimeout().compareTo(config.handshakeTimeout()) > 0
                ? config.idleTimeout()
                : config.handshakeTimeout())
            .plusSeconds(20);
    this.dir = Files.createTempDirectory("lb4j-soak");
    this.pki = TestPki.create();
    IssuedCertificate alice = pki.client("alice");
    this.trusted = pki.clientContext(alice);
    // Trusts lb4j's server certificate, but presents a certificate from another CA.
    this.untrusted = pki.clientContext(TestPki.create().client("mallory"));
    PemFiles server = pki.server("localhost", "127.0.0.1").writePem(dir, "server");
    this.tls =
        PemTlsContextFactory.builder()
            .certificateChain(server.certificate())
            .privateKey(server.privateKey())
            .clientCa(pki.writeCaPem(dir.resolve("client-ca.pem")))
            .engine(config.engine())
            .build();
    for (int i = 0; i < 3; i++) {
      echoes.add(Upstreams.echo());
    }
    this.stops = new AtomicInteger[echoes.size()];
    this.down = new boolean[echoes.size()];
    for (int i = 0; i < stops.length; i++) {
      stops[i] = new AtomicInteger();
    }
    this.resetting = Upstreams.resetAfter(RESET_AFTER);
    this.hung = Upstreams.blackHole();
    this.source = Upstreams.source(DOWNLOAD_BYTES, SourceUpstream.Ending.CLOSE);
    this.echoUpstream =
        Upstream.builder("echo")
            .hosts(echoes.stream().map(TestUpstream::host).toList())
            .idleTimeout(config.idleTimeout())
            .connectTimeout(Duration.ofSeconds(1))
            .connectAttempts(3)
            .healthCheck(HealthCheck.of(Duration.ofMillis(250), Duration.ofMillis(250), 1, 1))
            .build();
    Upstream download =
        Upstream.builder("download")
            .hosts(List.of(source.host()))
            .idleTimeout(config.idleTimeout())
            .build();
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    this.lb =
        LoadBalancer.builder()
            .upstream(echoUpstream, any)
            .upstream(download, any)
            .tls(tls)
            .handshakeTimeout(config.handshakeTimeout())
            .drainTimeout(Duration.ofSeconds(5))
            .listener(events)
            .build()
            .start();
    this.echoAddress = lb.boundAddress("echo");
    this.downloadAddress = lb.boundAddress("download");
    this.malformed = new MalformedTls(config.seed());
  }

  /**
   * Runs a soak as {@code config} says and returns its report. Blocks for the configured duration
   * and the clean-up after it (seconds).
   *
   * @param config the settings
   * @return the report; {@link SoakReport#passed()} tells whether lb4j did anything wrong
   * @throws IOException if the temporary folder for the certificates cannot be made
   * @throws InterruptedException if interrupted while waiting for the clients
   */
  public static SoakReport run(SoakConfig config) throws IOException, InterruptedException {
    Soak soak = new Soak(config);
    try {
      return soak.run();
    } finally {
      soak.close();
    }
  }

  private SoakReport run() throws InterruptedException {
    if (config.watchLeaks()) {
      ByteBufUtil.setLeakListener((type, records) -> {
        leaks.increment();
        error("Netty reported a leaked " + type + ":" + records);
      });
    }
    // One of each action first (but the silent client, which only waits): what the JDK and Netty
    // open lazily is then part of the baseline.
    Random warmUp = Seeds.random(config.seed(), -1);
    for (Action a : Action.values()) {
      if (a != Action.SILENT) {
        perform(a, warmUp);
      }
    }
    awaitNoOpenConnections();
    Resources baseline = Resources.now();
    log.info("soak: {} of traffic from {} clients, seed {}, baseline {}", config.duration(),
        config.clients(), config.seed(), baseline);

    long start = System.nanoTime();
    long end = start + config.duration().toNanos();
    ScheduledExecutorService faultThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lb4j-soak-faults");
      t.setDaemon(true);
      return t;
    });
    List<Thread> clients = new ArrayList<>();
    try (ResourceSampler sampler = ResourceSampler.start(Duration.ofMillis(200))) {
      long interval = config.faultInterval().toNanos();
      faultThread.scheduleWithFixedDelay(this::injectNextFault, interval, interval,
          TimeUnit.NANOSECONDS);
      for (int i = 0; i < config.clients(); i++) {
        Random random = Seeds.random(config.seed(), i);
        Thread t = new Thread(() -> clientLoop(random, end), "lb4j-soak-client-" + i);
        t.setDaemon(true);
        t.start();
        clients.add(t);
      }
      long joinBy = end + readTimeout.toNanos() * 2 + TimeUnit.SECONDS.toNanos(30);
      for (Thread t : clients) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(joinBy - System.nanoTime())));
        if (t.isAlive()) {
          error(t.getName() + " did not finish its last action in time");
        }
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      faultThread.shutdown();
      faultThread.awaitTermination(30, TimeUnit.SECONDS);
      heal();
      int open = awaitNoOpenConnections();
      int leases = lb.hostStatus("echo").stream().mapToInt(HostStatus::activeConnections).sum()
          + lb.hostStatus("download").stream().mapToInt(HostStatus::activeConnections).sum();
      if (open != 0) {
        error(open + " connection(s) still open in lb4j after the traffic");
      }
      if (leases != 0) {
        error(leases + " host lease(s) still held after the traffic");
      }
      if (config.watchLeaks()) {
        collectLeaks();
      }
      Resources after = awaitDescriptorsBackTo(baseline.descriptors());
      sampler.sample();
      return new SoakReport(
          config,
          tls.engine().name(),
          elapsed,
          sums(actions),
          completed.sum(),
          cutByFaults.sum(),
          bytesSentCompleted.sum(),
          bytesVerifiedCompleted.sum(),
          bytesVerified.sum(),
          refusalsExpected.sum(),
          sums(faults),
          events.accepted(),
          events.closed(),
          events.reasons(),
          events.refusals(),
          errorCount.get(),
          List.copyOf(errors),
          baseline,
          sampler.max(),
          after,
          open,
          leases,
          config.watchLeaks() ? leaks.sum() : -1);
    } finally {
      faultThread.shutdownNow();
    }
  }

  private void clientLoop(Random random, long end) {
    int total = Stream.of(Action.values()).mapToInt(a -> a.weight).sum();
    while (System.nanoTime() < end) {
      int pick = random.nextInt(total);
      Action chosen = null;
      for (Action a : Action.values()) {
        pick -= a.weight;
        if (pick < 0) {
          chosen = a;
          break;
        }
      }
      try {
        perform(chosen, random);
      } catch (RuntimeException e) {
        error(chosen + " failed unexpectedly: " + e);
      }
    }
  }

  private void perform(Action action, Random random) {
    actions.computeIfAbsent(action.name(), k -> new LongAdder()).increment();
    switch (action) {
      case ECHO -> echo(random);
      case DOWNLOAD -> download();
      case CLIENT_RESET -> clientReset(random);
      case UNTRUSTED -> untrustedClient();
      case MALFORMED -> malformedClient();
      case SILENT -> silentClient();
      default -> throw new AssertionError(action);
    }
  }

  private SSLSocket open(SSLContext context, InetSocketAddress address) throws IOException {
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    try {
      // Without it, Nagle holds the second record of a flight for the peer's delayed ACK.
      socket.setTcpNoDelay(true);
      socket.connect(address, (int) CONNECT_TIMEOUT.toMillis());
      socket.setSoTimeout((int) readTimeout.toMillis());
      socket.startHandshake();
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private int[] stopCounts() {
    int[] counts = new int[stops.length];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = stops[i].get();
    }
    return counts;
  }

  private void echo(Random random) {
    long length = 1024 + random.nextInt(config.maxStreamBytes() - 1024 + 1);
    int[] stopsBefore = stopCounts();
    try (SSLSocket socket = open(trusted, echoAddress)) {
      judge("echo", CheckedStreams.echo(socket, length, CHUNK), socket, stopsBefore);
    } catch (IOException e) {
      error("a trusted client could not connect and handshake: " + e);
    }
  }

  private void download() {
    try (SSLSocket socket = open(trusted, downloadAddress)) {
      judge("download", CheckedStreams.download(socket, DOWNLOAD_BYTES), socket, stopCounts());
    } catch (IOException e) {
      error("a trusted client could not connect and handshake: " + e);
    }
  }

  private void clientReset(Random random) {
    int rounds = 1 + random.nextInt(8);
    int[] stopsBefore = stopCounts();
    try (SSLSocket socket = open(trusted, echoAddress)) {
      AtomicInteger done = new AtomicInteger(1);
      StreamResult r = CheckedStreams.echo(socket, (long) CHUNK * rounds * 2, CHUNK,
          () -> done.incrementAndGet() <= rounds, () -> {});
      judge("reset", r, socket, stopsBefore);
      socket.setSoLinger(true, 0);
    } catch (IOException e) {
      error("a trusted client could not connect and handshake: " + e);
    }
  }

  private void judge(String kind, StreamResult r, Socket socket, int[] stopsBefore) {
    bytesVerified.add(r.bytesVerified());
    switch (r.outcome()) {
      case COMPLETED -> {
        completed.increment();
        bytesSentCompleted.add(r.bytesSent());
        if (r.bytesSent() > 0) {
          bytesVerifiedCompleted.add(r.bytesVerified());
        }
      }
      case CUT -> {
        Optional<ConnectionEvent> event = events.closeOf(socket, EVENT_WAIT);
        if (event.isPresent() && causedByFault(event.get(), stopsBefore)) {
          cutByFaults.increment();
        } else {
          error(kind + " stream cut after " + r.bytesVerified() + " bytes (" + r.detail()
              + ") with no injected fault to explain it; lb4j's event: "
              + event.map(Soak::describe).orElse("none"));
        }
      }
      case CORRUPT, HUNG -> error(kind + " stream " + r.outcome() + ": " + r.detail());
      default -> throw new AssertionError(r.outcome());
    }
  }

  private boolean causedByFault(ConnectionEvent event, int[] stopsBefore) {
    if (event.reason() != CloseReason.UPSTREAM_ERROR && event.reason() != CloseReason.IDLE_TIMEOUT) {
      return false;
    }
    Host host = event.host();
    if (resetting.host().equals(host) || hung.host().equals(host)) {
      return true;
    }
    for (int i = 0; i < echoes.size(); i++) {
      if (echoes.get(i).host().equals(host)) {
        return stops[i].get() != stopsBefore[i] || isDown(i);
      }
    }
    return false;
  }

  private static String describe(ConnectionEvent e) {
    return e.reason() + " host " + e.host() + (e.refusal() == null ? "" : " " + e.refusal())
        + (e.error() == null ? "" : " error " + e.error());
  }

  private void untrustedClient() {
    try (SSLSocket socket = open(untrusted, echoAddress)) {
      socket.getOutputStream().write(PROBE);
      socket.getOutputStream().flush();
      if (socket.getInputStream().read() >= 0) {
        error("a client with a certificate of another CA was served");
      } else {
        refusalsExpected.increment();
      }
    } catch (SocketTimeoutException e) {
      error("an untrusted client was neither served nor refused: " + e);
    } catch (IOException e) {
      refusalsExpected.increment();
    }
  }

  private void malformedClient() {
    MalformedTls.Case c = malformed.get(malformedIndex.getAndIncrement());
    try (Socket socket = new Socket()) {
      socket.connect(echoAddress, (int) CONNECT_TIMEOUT.toMillis());
      socket.setSoTimeout((int) readTimeout.toMillis());
      try {
        socket.getOutputStream().write(c.bytes());
        if (c.ending() == MalformedTls.Ending.FIN) {
          socket.shutdownOutput();
        }
      } catch (IOException closedEarly) {
        // lb4j may close before it has read everything: that is a refusal too.
      }
      if (c.ending() == MalformedTls.Ending.RESET) {
        socket.setSoLinger(true, 0);
        refusalsExpected.increment();
        return;
      }
      drainToEnd(socket);
      refusalsExpected.increment();
    } catch (SocketTimeoutException e) {
      error("lb4j neither answered nor closed " + c);
    } catch (IOException e) {
      refusalsExpected.increment();
    }
  }

  private void silentClient() {
    try (Socket socket = new Socket()) {
      socket.connect(echoAddress, (int) CONNECT_TIMEOUT.toMillis());
      socket.setSoTimeout((int) readTimeout.toMillis());
      drainToEnd(socket);
      refusalsExpected.increment();
    } catch (SocketTimeoutException e) {
      error("a client that never sent a ClientHello was not closed at the handshake timeout");
    } catch (IOException e) {
      refusalsExpected.increment();
    }
  }

  private static void drainToEnd(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    byte[] buf = new byte[4096];
    while (in.read(buf) >= 0) {
      // alerts, if any
    }
  }

  private void injectNextFault() {
    Fault fault = Fault.values()[faultStep++ % Fault.values().length];
    try {
      switch (fault) {
        case STOP_HOST -> {
          stopped = (faultStep / Fault.values().length) % echoes.size();
          setDown(stopped, true);
          stops[stopped].incrementAndGet();
          echoes.get(stopped).stop();
        }
        case RESTART_HOST -> {
          if (stopped >= 0) {
            restart(stopped);
            stopped = -1;
          }
        }
        case ADD_RESETTING_HOST -> list(true, hungListed);
        case REMOVE_RESETTING_HOST -> list(false, hungListed);
        case ADD_HUNG_HOST -> list(resettingListed, true);
        case REMOVE_HUNG_HOST -> list(resettingListed, false);
        case RELOAD_CERTIFICATE -> reloadCertificate();
        case HANDSHAKE_FLOOD -> {
          for (int i = 0; i < FLOOD; i++) {
            untrustedClient();
          }
        }
        default -> throw new AssertionError(fault);
      }
      faults.computeIfAbsent(fault.name(), k -> new LongAdder()).increment();
    } catch (RuntimeException e) {
      error("injecting " + fault + " failed: " + e);
    }
  }

  private synchronized boolean isDown(int host) {
    return down[host];
  }

  private synchronized void setDown(int host, boolean isDown) {
    down[host] = isDown;
  }

  /**
   * Restarts a stopped echo host on its port. The hosts listen on ports of the ephemeral range,
   * so while one is stopped its port may be taken: as the local port of some connection, or by
   * another process's listener on the same machine (lb4j then forwards to that process until the
   * host is back, which the soak counts as part of the fault). The restart waits for the port.
   */
  private void restart(int host) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        echoes.get(host).restart();
        break;
      } catch (java.io.UncheckedIOException portTaken) {
        if (System.nanoTime() > deadline) {
          throw portTaken;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
    }
    stops[host].incrementAndGet();
    setDown(host, false);
  }

  private void list(boolean withResetting, boolean withHung) {
    List<Host> hosts = new ArrayList<>(echoes.stream().map(TestUpstream::host).toList());
    if (withResetting) {
      hosts.add(resetting.host());
    }
    if (withHung) {
      hosts.add(hung.host());
    }
    lb.update(echoUpstream.toBuilder().hosts(hosts).build());
    resettingListed = withResetting;
    hungListed = withHung;
  }

  private void reloadCertificate() {
    IssuedCertificate next = pki.server("localhost", "127.0.0.1");
    next.writePem(dir, "server");
    if (!tls.reload()) {
      error("a rewritten server certificate was not reloaded");
      return;
    }
    // A new client must now see the new certificate.
    try (SSLSocket socket = open(pki.clientContext(pki.client("alice")), echoAddress)) {
      BigInteger serial =
          ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
      if (!serial.equals(next.certificate().getSerialNumber())) {
        error("after a reload, a new client still saw the previous server certificate");
      }
    } catch (IOException e) {
      error("a trusted client failed its handshake right after a certificate reload: " + e);
    }
  }

  private void heal() {
    if (stopped >= 0) {
      restart(stopped);
      stopped = -1;
    }
    list(false, false);
    // The hung host never reads, so it never sees lb4j close its connections (nor the health
    // checks'): their sockets stay open in this process until it is restarted.
    hung.stop();
    hung.restart();
  }

  private int awaitNoOpenConnections() {
    long deadline = System.nanoTime() + readTimeout.toNanos() + TimeUnit.SECONDS.toNanos(10);
    while (lb.openConnections() > 0 && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    return lb.openConnections();
  }

  // Sockets closed a moment ago may take a moment to leave /proc; health checks open a few.
  private static Resources awaitDescriptorsBackTo(int baseline) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Resources now = Resources.now();
    while (now.descriptors() > baseline && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
      now = Resources.now();
    }
    return now;
  }

  // Netty reports a leak after the buffer is collected, on a later allocation.
  private static void collectLeaks() {
    for (int round = 0; round < 2; round++) {
      ReferenceQueue<Object> queue = new ReferenceQueue<>();
      WeakReference<Object> sentinel = new WeakReference<>(new Object(), queue);
      System.gc();
      try {
        queue.remove(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        Reference.reachabilityFence(sentinel);
      }
      for (int i = 0; i < 4; i++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(1);
        b.release();
      }
    }
  }

  private void error(String description) {
    long n = errorCount.incrementAndGet();
    if (n <= MAX_ERRORS_KEPT) {
      errors.add(description);
    }
    log.warn("soak error: {}", description);
  }

  private static Map<String, Long> sums(Map<String, LongAdder> adders) {
    Map<String, Long> m = new TreeMap<>();
    adders.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  private void close() {
    lb.close();
    tls.close();
    echoes.forEach(TestUpstream::close);
    resetting.close();
    hung.close();
    source.close();
    Folders.deleteQuietly(dir);
  }
}
