package io.lb4j.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.lb4j.testkit.upstream.EchoUpstream;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade as an operator does it: a second server started with the same command line and
 * file while the first runs, then SIGTERM to the first, all under a steady load of new mTLS
 * connections and with long-lived streams open on the first.
 */
@Timeout(300)
class UpgradeIT {

  private static final int LOAD_THREADS = 2;
  /**
   * A steady load, not a flood: the machine that runs the test also starts the new server's JVM,
   * which a flood of handshakes would starve.
   */
  private static final long PAUSE_MILLIS = 20;
  /** Bounds the load: per thread, whatever happens to the servers. */
  private static final int MAX_CONNECTIONS_PER_THREAD = 3_000;
  /** New connections to see at each step of the switch. */
  private static final int PER_STEP = 40;
  private static final int STREAMS = 4;
  private static final Pattern LOGGED_CLIENT =
      Pattern.compile("client=127\\.0\\.0\\.1:(\\d+) identity=alice ");

  @TempDir Path dir;
  private ServerFixture f;
  private EchoUpstream host;

  @BeforeEach
  void setUp() {
    assumeTrue(Epoll.isAvailable(), "sharing a port needs the epoll transport (Linux)");
    f = new ServerFixture(dir);
    host = f.echo();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (f != null) {
      f.close();
    }
  }

  /** One client connection of the load: its local port, and whether it began after the switch. */
  private record Made(int port, boolean afterNewOneListened) {}

  @Test
  void newServerTakesOverWithNoClientRefusedNoStreamCutAndEveryConnectionLoggedOnce()
      throws Exception {
    InetSocketAddress listener = new InetSocketAddress("127.0.0.1", ServerFixture.freePort());
    InetSocketAddress admin = new InetSocketAddress("127.0.0.1", ServerFixture.freePort());
    f.writeConfig(ServerFixture.echoWithAdmin(listener.getPort(), host, admin.getPort(), "5m"));
    JarProcess old = f.track(JarProcess.start(dir, "--config", "lb.yaml"));
    old.awaitStdout("admin listener on", Duration.ofSeconds(60));

    SSLContext alice = f.pki.clientContext(f.alice);
    List<SSLSocket> streams = new ArrayList<>();
    for (int i = 0; i < STREAMS; i++) {
      SSLSocket s = f.track(TlsClient.connect(listener, alice, null));
      assertThat(TlsClient.roundTrip(s, "stream " + i + "\n")).isEqualTo("stream " + i + "\n");
      streams.add(s);
    }

    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean switched = new AtomicBoolean();
    AtomicInteger served = new AtomicInteger();
    ConcurrentLinkedQueue<Made> made = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    ExecutorService load = Executors.newFixedThreadPool(LOAD_THREADS);
    JarProcess next;
    try {
      for (int t = 0; t < LOAD_THREADS; t++) {
        load.execute(() -> {
          for (int i = 0; i < MAX_CONNECTIONS_PER_THREAD && !stop.get(); i++) {
            boolean after = switched.get();
            try (SSLSocket s = TlsClient.connect(listener, alice, null)) {
              if (!TlsClient.roundTrip(s, "x\n").equals("x\n")) {
                throw new IOException("echo answered wrong");
              }
              made.add(new Made(s.getLocalPort(), after));
              served.incrementAndGet();
            } catch (Exception | AssertionError e) {
              failures.add(e);
            }
            try {
              Thread.sleep(PAUSE_MILLIS);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
      }
      awaitServed(served, failures, PER_STEP);

      next = f.track(JarProcess.start(dir, "--config", "lb.yaml"));
      next.awaitStdout("lb4j started on", Duration.ofSeconds(120));
      switched.set(true);
      assertThat(next.stdout()).contains("already had 1 other listener(s)");
      next.awaitStdout("is held by the server this one replaces", Duration.ofSeconds(60));
      awaitServed(served, failures, PER_STEP);

      old.terminateAsync();
      old.awaitStdout("stopping: draining open connections", Duration.ofSeconds(30));
      next.awaitStdout("admin listener on", Duration.ofSeconds(30));
      assertThat(ServerFixture.get(admin, "/healthz")).isEqualTo("200 ok\n");
      awaitServed(served, failures, PER_STEP);

      // The old one drains: its streams keep flowing, and it waits for them.
      for (int i = 0; i < STREAMS; i++) {
        assertThat(TlsClient.roundTrip(streams.get(i), "drain " + i + "\n"))
            .isEqualTo("drain " + i + "\n");
      }
      assertThat(old.isAlive()).isTrue();
    } finally {
      stop.set(true);
      load.shutdown();
      assertThat(load.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(failures).as("connections refused, reset or cut during the switch").isEmpty();

    for (SSLSocket s : streams) {
      s.close();
    }
    assertThat(old.waitFor(Duration.ofSeconds(60))).isEqualTo(143);

    // Both access logs together hold every connection once; those begun once the new server
    // listened are all in its log.
    List<Integer> oldLogged = loggedClients(old.stdout());
    Map<Integer, Long> expected = made.stream()
        .collect(Collectors.groupingBy(Made::port, Collectors.counting()));
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
      List<Integer> all = new ArrayList<>(oldLogged);
      all.addAll(loggedClients(next.stdout()));
      Map<Integer, Long> logged = all.stream()
          .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
      streams.forEach(s -> logged.merge(s.getLocalPort(), -1L, Long::sum));
      logged.values().removeIf(n -> n == 0);
      assertThat(logged).isEqualTo(expected);
    });
    assertThat(oldLogged).containsAll(streams.stream().map(SSLSocket::getLocalPort).toList());
    List<Integer> afterSwitch = made.stream().filter(Made::afterNewOneListened).map(Made::port)
        .toList();
    assertThat(afterSwitch).hasSizeGreaterThanOrEqualTo(2 * PER_STEP);
    assertThat(loggedClients(next.stdout())).containsAll(afterSwitch);
    System.out.printf("upgrade: %d connections, %d by the old server (%d streams), %d by the new;"
        + " %d refused or reset%n", made.size() + STREAMS, oldLogged.size(), STREAMS,
        loggedClients(next.stdout()).size(), failures.size());

    assertThat(next.terminate(Duration.ofSeconds(60))).isEqualTo(143);
  }

  private static void awaitServed(
      AtomicInteger served, ConcurrentLinkedQueue<Throwable> failures, int more) {
    int target = served.get() + more;
    await().atMost(Duration.ofSeconds(120))
        .until(() -> served.get() >= target || !failures.isEmpty());
  }

  private static List<Integer> loggedClients(String log) {
    List<Integer> ports = new ArrayList<>();
    Matcher m = LOGGED_CLIENT.matcher(log);
    while (m.find()) {
      ports.add(Integer.parseInt(m.group(1)));
    }
    return ports;
  }
}
